package executor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// ConfigLoader parses and validates a sindri.yaml (pkg/config's Load, adapted to return an
// error that matches config.ErrInvalidConfig for a file that does not validate).
type ConfigLoader func(path string, data []byte) (*config.Config, error)

// LoadSindriConfig is the default ConfigLoader: config.Load, with its error diagnostics as a
// *config.ValidationError (errors.Is config.ErrInvalidConfig).
func LoadSindriConfig(path string, data []byte) (*config.Config, error) {
	c, diags := config.Load(path, data)
	if err := diags.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// SpecBuilder turns a job into the provider's Spec. An error that is not retryable
// (providers.IsRetryable) fails the job permanently with code invalid_config.
type SpecBuilder func(ctx context.Context, j *jobs.Job) (*providers.Spec, error)

// specBuilder returns the default SpecBuilder: the job's config text through load (when the
// job carries one), the image the job carries (resolved by the action) or else the one from
// Config.ImageRef, and the standard labels plus the job's
// generation and id.
func specBuilder(load ConfigLoader, defaultTTL time.Duration) SpecBuilder {
	return func(_ context.Context, j *jobs.Job) (*providers.Spec, error) {
		s := &providers.Spec{
			Env: j.Env,
			Labels: map[string]string{
				providers.LabelEnv:        j.Env,
				providers.LabelManagedBy:  providers.ManagedByValue,
				providers.LabelGeneration: strconv.FormatUint(j.Generation, 10),
				providers.LabelJobID:      j.ID,
			},
			Options: providers.Options{Force: j.Options.Force},
		}
		if j.Repo != "" {
			s.Labels[providers.LabelRepo] = j.Repo
		}
		if j.PR > 0 {
			s.Labels[providers.LabelPR] = strconv.Itoa(j.PR)
		}
		if j.SHA != "" {
			s.Labels[providers.LabelSHA] = j.SHA
		}
		ttl := time.Duration(j.Options.TTL)
		if ttl <= 0 {
			ttl = defaultTTL
		}
		if ttl > 0 {
			s.Labels[providers.LabelExpiresAt] = strconv.FormatInt(j.CreatedAt.Add(ttl).Unix(), 10)
		}
		if !j.Deadline.IsZero() {
			s.Options.Timeout = time.Until(j.Deadline)
		}
		if j.Config.Text != "" && load != nil {
			cfg, err := load(j.Config.Path, []byte(j.Config.Text))
			if err != nil {
				return nil, fmt.Errorf("executor: %s: %w", j.Config.Path, err)
			}
			s.Config = cfg
			if j.Kind.Image() {
				// Image jobs name an image to build or delete, not one to run: Job.Image is
				// image-delete's cloud image id.
				return s, nil
			}
			img, err := cfg.ImageRef()
			switch {
			case j.Image != "":
				// The action resolved image_config.version once, for every attempt. It is taken
				// only where the config asks for a resolution, and only from its repository:
				// a job cannot swap a pinned image for another one.
				ic := cfg.Deployment.ImageConfig
				if !errors.Is(err, config.ErrImageNeedsResolver) || ic == nil || !strings.HasPrefix(j.Image, ic.Registry+":") {
					return nil, fmt.Errorf("executor: job image %q does not resolve %s's image_config.version: %w", j.Image, j.Config.Path, jobs.ErrInvalid)
				}
				s.Image = j.Image
			case err == nil:
				s.Image = img
			case errors.Is(err, config.ErrNoImage):
				// Providers that make their own (e2b templates, devpod's devcontainer) need
				// none; one that does refuses an empty Image with ErrInvalidSpec.
			case errors.Is(err, config.ErrImageNeedsResolver) && !j.Kind.NeedsConfig():
				// Destroy, stop, start, status and reap act on what exists; they need no image.
			default:
				return nil, fmt.Errorf("executor: %s: %w", j.Config.Path, err)
			}
		}
		return s, nil
	}
}
