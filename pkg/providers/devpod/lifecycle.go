package devpod

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
)

// Status implements providers.Provider from the handle (or the env name) and devpod's own
// answer: an id devpod does not know is notdeployed; Running, Stopped and Busy are running,
// stopped and creating; NotFound (devpod knows the id, its container or VM is gone) is error.
// Errors: a *cli.BinaryNotFoundError, ErrUnavailable, the *cli.ExitError of devpod.
func (p *Provider) Status(ctx context.Context, s *providers.Spec) (*providers.Status, error) {
	l, err := p.locate(s)
	if err != nil {
		return nil, err
	}
	st, err := p.status(ctx, l.Home, l.ID)
	if err != nil {
		return nil, err
	}
	out := &providers.Status{Env: s.Env, Provider: Name, State: st.state()}
	if st == wsAbsent {
		return out, nil
	}
	out.InstanceID = l.ID
	out.Details = map[string]string{"workspace": l.ID, "devpod_state": string(st), "devpod_home": l.Home}
	if l.Backend != "" {
		out.Details["backend"] = l.Backend
	}
	if rec := readRecord(l.Home, l.ID); rec != nil {
		out.Image = rec.Image
	}
	return out, nil
}

// Stop implements providers.Provider: `devpod stop` when running, nothing when stopped.
// Returns providers.ErrNotFound when devpod does not know the workspace or its container or
// VM is gone, and the errors of Status.
func (p *Provider) Stop(ctx context.Context, s *providers.Spec) error {
	l, st, err := p.existing(ctx, s, "stop")
	if err != nil || st == wsStopped {
		return err
	}
	if err := p.run(ctx, call{home: l.Home, backend: backends[l.Backend], spec: s, args: []string{"stop", l.ID}}); err != nil {
		return err
	}
	return p.waitFor(ctx, l, wsStopped)
}

// agentLostAttempts bounds how many times Deploy and Start run `devpod up` when devpod loses
// its agent.
const agentLostAttempts = 3

// Start implements providers.Provider: `devpod up <id>` on a stopped workspace (never on an
// unknown id, which devpod would try to create from a source named like it). Returns
// providers.ErrNotFound as Stop does, ErrWorkloadFailed when it does not come up, and the
// errors of Status.
func (p *Provider) Start(ctx context.Context, s *providers.Spec) error {
	l, st, err := p.existing(ctx, s, "start")
	if err != nil || st == wsRunning {
		return err
	}
	r := plainReporter{providers.NopReporter{}}
	args := []string{"up", l.ID, "--ide", "none", "--configure-ssh=false"}
	err = p.run(ctx, call{home: l.Home, backend: backends[l.Backend], spec: s, args: args})
	// devpod can lose the stream to its agent while the container starts; the workspace is
	// known to exist here, so `devpod up` is safe to run again, as Deploy does.
	for attempt := 1; attempt < agentLostAttempts && errors.Is(err, errAgentLost) && ctx.Err() == nil; attempt++ {
		r.Log(l.ID + ": devpod lost the connection to its agent; running devpod up again")
		err = p.run(ctx, call{home: l.Home, backend: backends[l.Backend], spec: s, args: args})
	}
	if err != nil {
		err = withTail(err)
		if ctx.Err() != nil || errors.Is(err, providers.ErrUnavailable) {
			return err
		}
		return fmt.Errorf("%w: %w", err, providers.ErrWorkloadFailed)
	}
	return p.waitRunning(ctx, l.Home, l.ID, r)
}

// existing locates the workspace of s and returns its state, or ErrNotFound (naming verb)
// when devpod does not know it or its container or VM is gone.
func (p *Provider) existing(ctx context.Context, s *providers.Spec, verb string) (located, wsState, error) {
	l, err := p.locate(s)
	if err != nil {
		return l, "", err
	}
	st, err := p.status(ctx, l.Home, l.ID)
	if err == nil && (st == wsAbsent || st == wsNotFound) {
		err = fmt.Errorf("%s: %s %s: %w", Name, verb, l.ID, providers.ErrNotFound)
	}
	return l, st, err
}

// waitFor polls devpod until the workspace is in want, bounded by ReadyTimeout.
func (p *Provider) waitFor(ctx context.Context, l located, want wsState) error {
	deadline := time.Now().Add(p.cfg.ReadyTimeout)
	for {
		st, err := p.status(ctx, l.Home, l.ID)
		if err != nil || st == want {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: workspace %s is %s, not %s, after %s: %w", Name, l.ID, st, want, p.cfg.ReadyTimeout, context.DeadlineExceeded)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(p.cfg.PollInterval):
		}
	}
}

// Destroy implements providers.Provider: `devpod delete --force --ignore-not-found`, the
// docker backend's volumes (which devpod leaves), and this provider's folder for the
// workspace. Already gone is success. Errors: those of devpod delete and docker volume rm.
func (p *Provider) Destroy(ctx context.Context, s *providers.Spec) error {
	l, err := p.locate(s)
	if err != nil {
		return err
	}
	return p.remove(ctx, l, s, providers.NopReporter{})
}

// remove deletes workspace l and everything this provider made for it.
func (p *Provider) remove(ctx context.Context, l located, s *providers.Spec, r providers.Reporter) error {
	if err := p.run(ctx, call{home: l.Home, backend: backends[l.Backend], spec: s, args: deleteArgs(l.ID), r: r}); err != nil {
		return err
	}
	rec := readRecord(l.Home, l.ID)
	switch {
	case rec != nil:
		if len(rec.Volumes) == 0 {
			break
		}
		// -f: a volume that is already gone is success.
		if err := p.docker(ctx, rec.DockerHost, r, append([]string{"volume", "rm", "-f"}, rec.Volumes...)...); err != nil {
			return fmt.Errorf("%s: remove volumes %v: %w", Name, rec.Volumes, err)
		}
	case l.Backend == "docker" || l.Backend == "":
		// devpod's registry of the workspace is lost (another executor's, or a temporary,
		// DEVPOD_HOME): remove this provider's containers of the env by label, and the
		// volume by its deterministic name. Without a docker CLI and without a known
		// backend there is nothing to remove here.
		err := p.removeOrphans(ctx, l, r)
		var nf *cli.BinaryNotFoundError
		if err != nil && !(errors.As(err, &nf) && l.Backend == "") {
			return err
		}
	}
	return removeWorkDir(l.Home, l.ID)
}

// removeOrphans removes, on the default engine, the containers labelled as this provider's
// for l's env and l's home volume.
func (p *Provider) removeOrphans(ctx context.Context, l located, r providers.Reporter) error {
	var out bytes.Buffer
	if err := p.dockerOut(ctx, &out, "ps", "-aq", "--filter", "label="+providers.LabelEnv+"="+l.Env, "--filter", "label="+labelProvider+"="+Name); err != nil {
		return fmt.Errorf("%s: find containers of %s: %w", Name, l.Env, err)
	}
	if ids := strings.Fields(out.String()); len(ids) > 0 {
		if err := p.docker(ctx, "", r, append([]string{"rm", "-f", "-v"}, ids...)...); err != nil {
			return fmt.Errorf("%s: remove containers %v: %w", Name, ids, err)
		}
	}
	if err := p.docker(ctx, "", r, "volume", "rm", "-f", l.ID+"-home"); err != nil {
		return fmt.Errorf("%s: remove volume %s-home: %w", Name, l.ID, err)
	}
	return nil
}

// docker runs the docker CLI against host ("" the default engine), its lines to r.
func (p *Provider) docker(ctx context.Context, host string, r providers.Reporter, args ...string) error {
	_, err := cli.Run(ctx, p.dockerCmd(host, r, nil, args))
	return err
}

// dockerOut runs the docker CLI on the default engine, its stdout into out.
func (p *Provider) dockerOut(ctx context.Context, out *bytes.Buffer, args ...string) error {
	_, err := cli.Run(ctx, p.dockerCmd("", nil, out, args))
	return err
}

func (p *Provider) dockerCmd(host string, r providers.Reporter, out *bytes.Buffer, args []string) cli.Cmd {
	env := []string{"PATH=" + p.cfg.PATH, "HOME=" + p.cfg.Home}
	if host != "" {
		env = append(env, "DOCKER_HOST="+host)
	}
	c := cli.Cmd{Path: p.cfg.DockerBinary, Provider: Name, Setting: `provider "devpod" { docker_binary }`, Args: args, Env: env, Reporter: r}
	if out != nil {
		c.Stdout = out
	}
	return c
}
