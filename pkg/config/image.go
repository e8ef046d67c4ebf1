package config

import (
	"errors"
	"fmt"

	"github.com/sindri/deploy/v3/internal/excerpt"
)

// ErrNoImage is returned by ImageRef when the config names no image to run.
var ErrNoImage = errors.New("no image configured")

// ErrImageNeedsResolver is returned by ImageRef for image_config.version, which needs a registry
// tag listing to resolve.
var ErrImageNeedsResolver = errors.New("image_config.version needs a registry tag lookup")

// ImageRef returns the image reference to run, following the upstream priority (contract
// §1.3.2): image_config.digest, then image_config.tag_override, then image_config.version
// (which needs a registry lookup: ErrImageNeedsResolver, see ImageResolver.ResolveImageRef;
// resolution_strategy explicit needs none), then image_config alone
// (registry:latest), then deployment.image. Unlike upstream, the resolved reference is what every
// provider receives. It returns ErrNoImage when nothing names an image (buildFromSource is not
// supported by this action: prebuild and name the image).
func (c *Config) ImageRef() (string, error) {
	d := c.Deployment
	if ic := d.ImageConfig; ic != nil {
		switch {
		case ic.Digest != "":
			return ic.Registry + "@" + ic.Digest, nil
		case ic.TagOverride != "":
			return ic.Registry + ":" + ic.TagOverride, nil
		case ic.Version != "":
			if ic.ResolutionStrategy == "explicit" {
				return ic.Registry + ":" + ic.Version, nil
			}
			return "", fmt.Errorf("%w: %s %s (strategy %s); pin deployment.image_config.tag_override or digest, or use resolution_strategy: explicit",
				ErrImageNeedsResolver, ic.Registry, excerpt.Quote(ic.Version), orDefault(ic.ResolutionStrategy, "semver"))
		default:
			return ic.Registry + ":latest", nil
		}
	}
	if d.Image != "" {
		return d.Image, nil
	}
	return "", fmt.Errorf("%w: set deployment.image (or deployment.image_config) to a prebuilt image", ErrNoImage)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
