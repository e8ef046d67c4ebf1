package devpod

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
)

// deploySteps is how many Progress steps a Deploy reports.
const deploySteps = 4

// cleanupTimeout bounds the cleanup of a failed or cancelled create.
const cleanupTimeout = 2 * time.Minute

// Deploy implements providers.Provider: find-or-create the workspace by id. A workspace made
// from this config and running is left alone (Changed false); a stopped one is started; one
// made from another config is recreated in place (`up --recreate`, keeping its home volume);
// one whose container or VM is gone is deleted and made again. devpod's output streams to r
// as it runs. A failed first `up` is deleted before returning (devpod leaves it registered),
// with devpod's last lines reported to r and the last one in the error.
//
// Errors: ErrInvalidSpec (unknown backend, a missing required option, an option devpod's
// provider does not define, no image, a machine backend on a temporary home),
// a MissingCredential (ErrAuth), a *cli.BinaryNotFoundError, ErrWorkloadFailed for a failed
// `up` or a workspace that does not come up, ErrUnavailable when devpod cannot reach its
// backend, the context's error, and a *providers.PartialError when a failed create could not
// be cleaned up.
func (p *Provider) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	if r == nil {
		r = providers.NopReporter{}
	}
	r = plainReporter{r}
	d, err := p.resolve(s)
	if err != nil {
		return nil, err
	}
	if err := p.ready(); err != nil {
		return nil, err
	}
	if c := d.Backend.RequiredCredential; c != "" && credential(p.cfg.Getenv, s, c) == "" {
		return nil, providers.MissingCredential(Name, c)
	}
	for _, w := range d.Warnings {
		r.Log("warning: " + w)
	}
	r.Progress("ensuring devpod provider "+d.Backend.Provider, 1, deploySteps)
	if err := p.ensureProvider(ctx, p.cfg.Home, d, s, r); err != nil {
		return nil, err
	}
	dec, err := p.decide(ctx, d, s.Options.Force)
	if err != nil {
		return nil, err
	}
	h, err := p.handle(d)
	if err != nil {
		return nil, err
	}
	dep := &providers.Deployment{Env: s.Env, Provider: Name, Handle: h, State: providers.StateRunning,
		Connection: p.connection(p.cfg.Home, d.ID), Warnings: d.Warnings, Changed: dec.Action != actKeep}
	// Pending until `up` succeeds: a crash in between is seen as another config next time.
	rec := &record{ID: d.ID, Env: s.Env, Backend: d.Backend.Type, Image: d.Image, Labels: d.Labels, DockerHost: d.Options["DOCKER_HOST"]}
	if d.Volume != "" {
		rec.Volumes = []string{d.Volume}
	}
	if dec.Action == actKeep {
		// The per-job labels (expires-at) are only in the record: keep it current.
		rec.Hash = d.Hash
		if err := writeRecord(p.cfg.Home, rec); err != nil {
			return nil, err
		}
		return dep, nil
	}
	if dec.Action == actReplace {
		r.Log(d.ID + ": devpod knows the workspace but its container or machine is gone: deleting it to make it again")
		if err := p.run(ctx, call{home: p.cfg.Home, backend: d.Backend, spec: s, args: deleteArgs(d.ID), r: r}); err != nil {
			return nil, err
		}
	}
	r.Progress("writing devcontainer.json", 2, deploySteps)
	if err := writeSource(p.cfg.Home, d.ID, d.Devcontainer); err != nil {
		return nil, err
	}
	if err := writeRecord(p.cfg.Home, rec); err != nil {
		return nil, err
	}
	r.Progress("devpod up "+d.ID, 3, deploySteps)
	err = p.up(ctx, d, dec.Action, s, r)
	if errors.Is(err, errAgentLost) {
		err = p.upAgain(ctx, d, s, r, err)
	}
	if err == nil {
		r.Progress("waiting for workspace "+d.ID, 4, deploySteps)
		err = p.waitRunning(ctx, p.cfg.Home, d.ID, r)
	}
	if err != nil {
		if dec.Action == actCreate || dec.Action == actReplace {
			return nil, p.rollback(ctx, d, s, h, err)
		}
		return nil, err
	}
	rec.Hash = d.Hash
	if err := writeRecord(p.cfg.Home, rec); err != nil {
		return nil, err
	}
	return dep, nil
}

// up runs `devpod up` with the secrets in a 0600 env file that is removed afterwards. A
// failure reports devpod's last lines and wraps ErrWorkloadFailed unless devpod's text said
// something more specific (ErrUnavailable, ErrInvalidSpec) or the context ended.
func (p *Provider) up(ctx context.Context, d *desired, a action, s *providers.Spec, r providers.Reporter) error {
	envFile := ""
	var secretValues []string
	if len(d.Secrets) > 0 {
		content, err := cli.FormatEnvFile(d.Secrets)
		if err != nil {
			return fmt.Errorf("%s: %w: %w", Name, err, providers.ErrInvalidSpec)
		}
		f, err := cli.WriteSecretFile("", "workspace.env", content)
		if err != nil {
			return fmt.Errorf("%s: %w", Name, err)
		}
		defer f.Remove()
		envFile = f.Path
		for _, v := range d.Secrets {
			secretValues = append(secretValues, v)
		}
	}
	err := p.run(ctx, call{home: p.cfg.Home, backend: d.Backend, spec: s, args: p.upArgs(d, a, envFile), r: r}, secretValues...)
	if err == nil {
		return nil
	}
	reportTail(r, d.ID, err)
	err = withTail(err)
	if ctx.Err() != nil || errors.Is(err, providers.ErrUnavailable) || errors.Is(err, providers.ErrInvalidSpec) {
		return err
	}
	return fmt.Errorf("%w: %w", err, providers.ErrWorkloadFailed)
}

// upAgain runs `devpod up` again (up to agentLostAttempts runs in all) after devpod lost its
// agent, when the workspace exists (never on an unknown id, which devpod would try to create
// from a source named like it); else it returns cause.
func (p *Provider) upAgain(ctx context.Context, d *desired, s *providers.Spec, r providers.Reporter, cause error) error {
	st, err := p.status(ctx, p.cfg.Home, d.ID)
	if err != nil || st == wsAbsent || st == wsNotFound {
		return cause
	}
	for attempt := 1; attempt < agentLostAttempts && errors.Is(cause, errAgentLost) && ctx.Err() == nil; attempt++ {
		r.Log(d.ID + ": devpod lost the connection to its agent; running devpod up again on the existing workspace")
		cause = p.up(ctx, d, actStart, s, r)
	}
	return cause
}

// rollback removes what a failed or cancelled create made, under its own timeout, and
// returns cause, or a *PartialError naming the workspace when the removal failed too.
func (p *Provider) rollback(ctx context.Context, d *desired, s *providers.Spec, handle string, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	l := located{Env: s.Env, ID: d.ID, Backend: d.Backend.Type, Home: p.cfg.Home}
	if err := p.remove(cctx, l, s, providers.NopReporter{}); err != nil {
		return &providers.PartialError{Err: fmt.Errorf("%w (cleanup failed: %v)", cause, err),
			Remaining: []string{"devpod-workspace/" + d.ID}, Handle: handle}
	}
	return cause
}

// waitRunning polls devpod until the workspace is Running. Busy is waited out up to
// ReadyTimeout; Stopped, NotFound or gone end the wait at once with ErrWorkloadFailed.
func (p *Provider) waitRunning(ctx context.Context, home, id string, r providers.Reporter) error {
	deadline := time.NewTimer(p.cfg.ReadyTimeout)
	defer deadline.Stop()
	for {
		st, err := p.status(ctx, home, id)
		if err != nil {
			return err
		}
		switch st {
		case wsRunning:
			return nil
		case wsBusy:
		default:
			return fmt.Errorf("%s: workspace %s is %s after devpod up: %w", Name, id, st.state(), providers.ErrWorkloadFailed)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			r.Log(id + ": still busy after " + p.cfg.ReadyTimeout.String())
			return fmt.Errorf("%s: workspace %s still busy after %s: %w", Name, id, p.cfg.ReadyTimeout, context.DeadlineExceeded)
		case <-time.After(p.cfg.PollInterval):
		}
	}
}
