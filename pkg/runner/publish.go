package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// errClosed reports that the environment's PR was closed after this job was asked for.
var errClosed = errors.New("environment closed")

// publish resolves the image of a deploy or plan whose config names image_config.version,
// bumps the environment's desired generation (for jobs that change it) and publishes the job
// with its idempotency key.
func (r *run) publish(ctx context.Context, bus *Bus, kind jobs.Kind, l *loaded) (*jobs.Job, uint64, error) {
	var image string
	if kind.Image() {
		// An image job's environment is the image's name key: builds of one image take its
		// lease in turn, whatever PR or branch asked.
		if l.cfg == nil || l.cfg.Providers.Packer == nil {
			return nil, 0, fmt.Errorf("%s: command %s needs a providers.packer block (the image to build); nothing was published", l.relPath, kind)
		}
		l.env = l.cfg.Providers.Packer.ImageName
		image = r.req.Inputs.ImageID
	}
	if policyOf(kind).resolvesImage && l.cfg != nil && l.cfg.NeedsImageResolution() {
		// Once, here, so that every attempt of the job on any executor runs the same image.
		img, err := r.deps.ResolveImage(ctx, l.cfg)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: deployment.image_config: %w; nothing was published", l.relPath, err)
		}
		ic := l.cfg.Deployment.ImageConfig
		r.out().Notice(fmt.Sprintf("image_config.version %q (%s) resolved to %s", ic.Version, ic.ResolutionStrategy, img))
		image = img
	}
	var gen uint64
	if kind.Mutates() {
		if r.reopens(kind) {
			if _, err := bus.Envs.Reopen(ctx, l.env); err != nil && !errors.Is(err, events.ErrEnvNotFound) {
				return nil, 0, fmt.Errorf("reopen environment %s: %w", l.env, err)
			}
		}
		g, err := bus.Envs.BumpDesired(ctx, l.env, r.closing(kind))
		if errors.Is(err, events.ErrEnvClosed) {
			return nil, 0, errClosed
		}
		if err != nil {
			return nil, 0, fmt.Errorf("bump desired generation of %s: %w", l.env, err)
		}
		gen = g
	}
	rec, _, err := bus.Envs.Get(ctx, l.env)
	if err != nil && !errors.Is(err, events.ErrEnvNotFound) {
		return nil, 0, fmt.Errorf("read environment record %s: %w", l.env, err)
	}
	if !kind.Mutates() && rec != nil {
		gen = rec.DesiredGeneration
	}
	j, err := jobs.New(kind, l.env, l.provider)
	if err != nil {
		return nil, 0, err
	}
	j.Generation = gen
	j.Repo, j.PR, j.SHA, j.Ref = r.it.Repo, r.it.PR, r.it.SHA, r.it.Ref
	j.Trigger, j.RequestedBy = r.it.Trigger, r.it.Actor
	j.Config = jobs.ConfigBlob{Path: l.relPath, Text: string(l.text)}
	j.Image = image
	j.Options = jobs.Options{Force: r.it.Force, TTL: jobs.Duration(r.it.TTL)}
	if t := r.req.Inputs.Timeout; t > 0 {
		j.Deadline = j.CreatedAt.Add(t)
	}
	if !bus.Embedded && len(l.resolved) > 0 {
		sealed, err := secrets.Seal(j.ID, l.resolved, r.req.Inputs.ExecutorKey)
		if err != nil {
			return nil, 0, fmt.Errorf("seal the secrets to executor-key: %w; nothing was queued", err)
		}
		j.SealedSecrets = sealed
	}
	if err := j.Validate(); err != nil {
		return nil, 0, fmt.Errorf("build job: %w", err)
	}
	key := jobs.IdempotencyKey(jobs.IdempotencyInput{
		Repo: j.Repo, Env: j.Env, Kind: j.Kind, Generation: j.Generation, SHA: j.SHA,
		Trigger: j.Trigger, Delivery: r.req.Delivery,
	})
	seq, dup, err := events.NewPublisher(bus.JS).SignedBy(bus.Signer).PublishJobSeq(ctx, j, key)
	if err != nil {
		return nil, 0, fmt.Errorf("publish job: %w; nothing was queued", err)
	}
	if dup {
		r.out().Notice(fmt.Sprintf("this %s of %s was already queued by an earlier attempt of this step; following it", kind, l.env))
	}
	return j, seq, nil
}
