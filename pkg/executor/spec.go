package executor

import (
	"context"
	"fmt"
	"strconv"
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
			if j.Image == "" {
				img, err := cfg.ImageRef()
				if err != nil {
					return nil, fmt.Errorf("executor: %s: %w", j.Config.Path, err)
				}
				s.Image = img
			}
		}
		if j.Image != "" {
			// The action resolved the image (image_config.version) once, for every attempt.
			s.Image = j.Image
		}
		return s, nil
	}
}
