package vm

import (
	"context"
	"fmt"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// BuildLockKey is the lease key under which a Deploy builds the missing image of c:
// "image.build-<cloud>-<region>-<ImageConfigHash>", so that deploys of any environment that
// need the same image (same cloud, region and packer block) build it once. It never equals
// an image job's key ("image.<image_name>"), except for an image_name of that very form.
func BuildLockKey(c *config.PackerConfig) string {
	rg := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, region(c))
	if len(rg) > 30 {
		rg = rg[:30]
	}
	rg = strings.Trim(rg, "-")
	if rg == "" {
		rg = "default"
	}
	return "image.build-" + string(c.Cloud) + "-" + rg + "-" + ImageConfigHash(c)
}

// lockBuild takes the build lease of the spec's image when the executor gives locks (nil
// Spec.Locks: the caller runs alone, and nothing is locked), reporting each wait for another
// job's build as progress step done of total. It returns the unlock function (a no-op
// without locks).
func lockBuild(ctx context.Context, s *providers.Spec, pc *config.PackerConfig, r providers.Reporter, done, total int) (func(), error) {
	if s.Locks == nil {
		return func() {}, nil
	}
	key := BuildLockKey(pc)
	unlock, err := s.Locks.Lock(ctx, key, func(holder string) {
		r.Progress(fmt.Sprintf("waiting for image %s: %s builds it from this config (lease %s)", pc.ImageName, holder, key), done, total)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: take the build lease of image %s: %w", Name, pc.ImageName, err)
	}
	return unlock, nil
}
