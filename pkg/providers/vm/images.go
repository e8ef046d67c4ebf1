package vm

import (
	"context"
	"fmt"
	"slices"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// imagesHint is the answer for clouds whose image listing is not implemented.
func imagesHint(cloud config.PackerCloud, verb string) error {
	return fmt.Errorf("%s: %s on %s is not implemented (%s): use the %s console or CLI, filtering on the tag %s: %w",
		Name, verb, cloud, deployClouds(), cloud, LabelImage, providers.ErrUnsupported)
}

// imageClient returns the spec's packer block and the cloud's client in its region; clouds
// without a connector are ErrUnsupported with a hint naming verb.
func (p *Provider) imageClient(s *providers.Spec, verb string) (*config.PackerConfig, cloudAPI, error) {
	pc, err := packerConfig(s)
	if err != nil {
		return nil, nil, err
	}
	if !deploys(pc.Cloud) {
		return nil, nil, imagesHint(pc.Cloud, verb)
	}
	c, err := p.connect(s, pc.Cloud, region(pc))
	if err != nil {
		return nil, nil, err
	}
	return pc, c, nil
}

// managedImages returns the images of the config's image name that sindri made, with ids
// (none: all of them).
func managedImages(ctx context.Context, c cloudAPI, pc *config.PackerConfig, ids ...string) ([]Image, error) {
	ims, err := c.FindImages(ctx, imageQuery{IDs: ids,
		Tags: map[string]string{providers.LabelManagedBy: providers.ManagedByValue, LabelImage: pc.ImageName}})
	if err != nil {
		return nil, fmt.Errorf("%s: describe images: %w", Name, err)
	}
	return ims, nil
}

// ListImages implements providers.ImageBuilder: the images tagged with this config's image
// name and sindri's managed-by tag, in the config's region, newest first. Clouds without a
// connector return ErrUnsupported with a hint.
func (p *Provider) ListImages(ctx context.Context, s *providers.Spec) ([]providers.Image, error) {
	pc, c, err := p.imageClient(s, "image-list")
	if err != nil {
		return nil, err
	}
	found, err := managedImages(ctx, c, pc)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(found, func(a, b Image) int { return b.Created.Compare(a.Created) })
	out := []providers.Image{}
	for _, im := range found {
		img := providers.Image{ID: im.ID, Name: im.Name, Cloud: string(pc.Cloud), Region: c.Region(), Labels: im.Tags}
		if t := im.Created; !t.IsZero() {
			img.CreatedAt = &t
		}
		out = append(out, img)
	}
	return out, nil
}

// DeleteImage implements providers.ImageBuilder: it deletes the image id (only one sindri
// made for this image name: a foreign id is left alone) and its storage (EBS snapshots on
// AWS); an image that is gone is success.
func (p *Provider) DeleteImage(ctx context.Context, s *providers.Spec, id string) error {
	pc, c, err := p.imageClient(s, "image-delete")
	if err != nil {
		return err
	}
	found, err := managedImages(ctx, c, pc, id)
	if err != nil || len(found) == 0 {
		return err
	}
	if err := c.DeleteImage(ctx, found[0]); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	return nil
}
