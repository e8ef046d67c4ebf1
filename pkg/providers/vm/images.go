package vm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
)

// imagesHint is the answer for clouds whose image listing is not implemented.
func imagesHint(cloud config.PackerCloud, verb string) error {
	return fmt.Errorf("%s: %s on %s is not implemented (aws is): use the %s console or CLI, filtering on the tag %s: %w",
		Name, verb, cloud, cloud, LabelImage, providers.ErrUnsupported)
}

// awsCLI runs the aws CLI with the executor's AWS credentials and returns its stdout.
func (p *Provider) awsCLI(ctx context.Context, s *providers.Spec, args ...string) ([]byte, error) {
	env, secretValues := p.env(config.CloudAWS, s)
	var out bytes.Buffer
	_, err := cli.Run(ctx, cli.Cmd{Path: "aws", Provider: Name, Setting: "PATH of the executor", Args: append(args, "--output", "json"),
		Env: env, Secrets: secretValues, Stdout: &out})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	return out.Bytes(), nil
}

type awsImages struct {
	Images []struct {
		ImageID      string `json:"ImageId"`
		Name         string `json:"Name"`
		CreationDate string `json:"CreationDate"`
		Tags         []struct {
			Key   string `json:"Key"`
			Value string `json:"Value"`
		} `json:"Tags"`
		BlockDeviceMappings []struct {
			Ebs *struct {
				SnapshotID string `json:"SnapshotId"`
			} `json:"Ebs"`
		} `json:"BlockDeviceMappings"`
	} `json:"Images"`
}

// ListImages implements providers.ImageBuilder: the images tagged with this config's image
// name key and sindri's managed-by tag, in the config's region. AWS only; other clouds return
// ErrUnsupported with a hint.
func (p *Provider) ListImages(ctx context.Context, s *providers.Spec) ([]providers.Image, error) {
	pc, err := packerConfig(s)
	if err != nil {
		return nil, err
	}
	if pc.Cloud != config.CloudAWS {
		return nil, imagesHint(pc.Cloud, "image-list")
	}
	found, err := p.describe(ctx, s, pc, "Name=tag:"+LabelImage+",Values="+pc.ImageName)
	if err != nil {
		return nil, err
	}
	out := []providers.Image{}
	for _, im := range found.Images {
		img := providers.Image{ID: im.ImageID, Name: im.Name, Cloud: string(pc.Cloud), Region: region(pc), Labels: map[string]string{}}
		for _, t := range im.Tags {
			img.Labels[t.Key] = t.Value
		}
		if t, err := time.Parse(time.RFC3339, im.CreationDate); err == nil {
			img.CreatedAt = &t
		}
		out = append(out, img)
	}
	return out, nil
}

func (p *Provider) describe(ctx context.Context, s *providers.Spec, pc *config.PackerConfig, filter string) (*awsImages, error) {
	if err := p.missing(pc.Cloud, s); err != nil {
		return nil, err
	}
	raw, err := p.awsCLI(ctx, s, "ec2", "describe-images", "--region", region(pc), "--owners", "self",
		"--filters", "Name=tag:"+providers.LabelManagedBy+",Values="+providers.ManagedByValue, filter)
	if err != nil {
		return nil, err
	}
	var found awsImages
	if err := json.Unmarshal(raw, &found); err != nil {
		return nil, fmt.Errorf("%s: aws ec2 describe-images: %w", Name, err)
	}
	return &found, nil
}

// DeleteImage implements providers.ImageBuilder: it deregisters the AMI id (only one sindri
// made) and deletes its snapshots; an image that is gone is success. AWS only.
func (p *Provider) DeleteImage(ctx context.Context, s *providers.Spec, id string) error {
	pc, err := packerConfig(s)
	if err != nil {
		return err
	}
	if pc.Cloud != config.CloudAWS {
		return imagesHint(pc.Cloud, "image-delete")
	}
	found, err := p.describe(ctx, s, pc, "Name=image-id,Values="+id)
	if err != nil {
		return err
	}
	if len(found.Images) == 0 {
		return nil
	}
	if _, err := p.awsCLI(ctx, s, "ec2", "deregister-image", "--region", region(pc), "--image-id", id); err != nil {
		return err
	}
	for _, m := range found.Images[0].BlockDeviceMappings {
		if m.Ebs == nil || m.Ebs.SnapshotID == "" {
			continue
		}
		if _, err := p.awsCLI(ctx, s, "ec2", "delete-snapshot", "--region", region(pc), "--snapshot-id", m.Ebs.SnapshotID); err != nil {
			return err
		}
	}
	return nil
}
