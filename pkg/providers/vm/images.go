package vm

import (
	"context"
	"fmt"
	"slices"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2"
)

// imagesHint is the answer for clouds whose image listing is not implemented.
func imagesHint(cloud config.PackerCloud, verb string) error {
	return fmt.Errorf("%s: %s on %s is not implemented (aws is): use the %s console or CLI, filtering on the tag %s: %w",
		Name, verb, cloud, cloud, LabelImage, providers.ErrUnsupported)
}

// imageClient returns the spec's packer block and an EC2 client of its region; other clouds
// are ErrUnsupported with a hint naming verb.
func (p *Provider) imageClient(s *providers.Spec, verb string) (*config.PackerConfig, *ec2.Client, error) {
	pc, err := packerConfig(s)
	if err != nil {
		return nil, nil, err
	}
	if pc.Cloud != config.CloudAWS {
		return nil, nil, imagesHint(pc.Cloud, verb)
	}
	c, err := p.ec2Client(s, region(pc))
	if err != nil {
		return nil, nil, err
	}
	return pc, c, nil
}

// managedImages returns the images of the config's image name that sindri made, with ids
// (none: all of them).
func managedImages(ctx context.Context, c *ec2.Client, pc *config.PackerConfig, ids ...string) ([]ec2.Image, error) {
	ims, err := c.DescribeImages(ctx, []string{"self"}, ids,
		ec2.TagFilter(providers.LabelManagedBy, providers.ManagedByValue), ec2.TagFilter(LabelImage, pc.ImageName))
	if err != nil && !(len(ids) > 0 && isNotFound(err)) {
		return nil, fmt.Errorf("%s: describe images: %w", Name, err)
	}
	return ims, nil
}

// ListImages implements providers.ImageBuilder: the images tagged with this config's image
// name and sindri's managed-by tag, in the config's region, newest first. AWS only (EC2
// DescribeImages); other clouds return ErrUnsupported with a hint.
func (p *Provider) ListImages(ctx context.Context, s *providers.Spec) ([]providers.Image, error) {
	pc, c, err := p.imageClient(s, "image-list")
	if err != nil {
		return nil, err
	}
	found, err := managedImages(ctx, c, pc)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(found, func(a, b ec2.Image) int { return b.Created().Compare(a.Created()) })
	out := []providers.Image{}
	for _, im := range found {
		img := providers.Image{ID: im.ID, Name: im.Name, Cloud: string(pc.Cloud), Region: region(pc), Labels: ec2.TagMap(im.Tags)}
		if t := im.Created(); !t.IsZero() {
			img.CreatedAt = &t
		}
		out = append(out, img)
	}
	return out, nil
}

// DeleteImage implements providers.ImageBuilder: it deregisters the AMI id (only one sindri
// made for this image name: a foreign id is left alone) and deletes its snapshots; an image
// that is gone is success. AWS only.
func (p *Provider) DeleteImage(ctx context.Context, s *providers.Spec, id string) error {
	pc, c, err := p.imageClient(s, "image-delete")
	if err != nil {
		return err
	}
	found, err := managedImages(ctx, c, pc, id)
	if err != nil || len(found) == 0 {
		return err
	}
	if err := c.DeregisterImage(ctx, id); err != nil {
		return fmt.Errorf("%s: deregister image %s: %w", Name, id, err)
	}
	for _, m := range found[0].BlockDevices {
		if m.EBS == nil || m.EBS.SnapshotID == "" {
			continue
		}
		if err := c.DeleteSnapshot(ctx, m.EBS.SnapshotID); err != nil {
			return fmt.Errorf("%s: delete snapshot %s of image %s: %w", Name, m.EBS.SnapshotID, id, err)
		}
	}
	return nil
}
