package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// deploySteps is the number of Progress steps Deploy reports.
const deploySteps = 6

// Deploy implements providers.Provider. It is find-or-create by name and label:
//   - a container named <env> without our labels, or with them but for another repository
//     (its sindri.dev/repo differs from the spec's), is never touched: an error wrapping
//     providers.ErrConflict (likewise for a foreign <env>_home volume or <env>_net network);
//   - a container whose config-hash label, image ID and secrets match is left as it is
//     (Changed=false; started if it was stopped);
//   - otherwise the container is replaced; the home volume is kept.
//
// It waits until the container runs (and published TCP ports accept connections) within
// Spec.Options.Timeout. On any failure, including cancellation, everything this call created is
// removed again and a replaced container is restored. Errors: providers.ErrInvalidSpec (bad
// spec), providers.ErrNotFound (image missing with pull_policy Never, or unknown to its
// registry), ErrRegistryAuth (the registry refused the pull), providers.ErrConflict (foreign
// resource, host port in use), providers.ErrUnavailable (engine or registry unreachable;
// transient). The image is pulled as deployment.image_config.pull_policy says (ensureImage).
func (p *Provider) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (dep *providers.Deployment, err error) {
	if r == nil {
		r = providers.NopReporter{}
	}
	facts, err := p.facts(ctx, s)
	if err != nil {
		return nil, err
	}
	d, err := p.resolve(s, facts)
	if err != nil {
		return nil, err
	}
	r.Progress("resolve image", 1, deploySteps)
	if err := p.ensureImage(ctx, d, r); err != nil {
		return nil, err
	}
	hash := d.hash()
	compose, err := renderCompose(d)
	if err != nil {
		return nil, err
	}
	if err := p.writeCompose(d.Env, compose); err != nil {
		return nil, err
	}
	dep = &providers.Deployment{Env: d.Env, Provider: Name, Warnings: d.warnings}
	for _, w := range d.warnings {
		r.Log("warning: " + w)
	}

	r.Progress("find existing environment", 2, deploySteps)
	if err := p.reapReplaced(ctx, d); err != nil {
		return nil, err
	}
	dc, err := p.decide(ctx, s, d)
	if err != nil {
		return nil, err
	}
	existing := dc.existing
	if dc.upToDate {
		return p.keep(ctx, s, d, existing, dep, r)
	}
	if existing != nil {
		r.Log(dc.why + "; replacing the container")
	}

	// From here on every resource this call makes is recorded and undone on failure.
	var undo rollback
	var network *pendingNetwork // the network being created meanwhile, if any
	madeID := ""                // the container this call created, once it did
	defer func() {
		if err != nil {
			_ = network.join(&undo) // its error, if any, is err or came after it
			if left, uerr := undo.run(ctx); uerr != nil {
				// Whatever is left carries the env's labels: Status, Destroy and the reaper
				// find it by them, and the executor records the environment for cleanup. The
				// handle names the container a failed restore left set aside, else ours.
				pe := &providers.PartialError{Err: fmt.Errorf("%w (rollback incomplete: %v)", err, uerr), Remaining: left}
				if existing != nil {
					madeID = existing.ID
				}
				if madeID != "" {
					pe.Handle = newHandle(madeID)
				}
				err = pe
			}
		}
	}()

	r.Progress("network and volumes", 3, deploySteps)
	if network, err = p.startNetwork(ctx, d); err != nil {
		return nil, err
	}
	if err := p.ensureVolume(ctx, d, d.HomeVolume, &undo); err != nil {
		return nil, err
	}
	if d.DinDVolume != "" {
		if err := p.ensureVolume(ctx, d, d.DinDVolume, &undo); err != nil {
			return nil, err
		}
	}
	if err := p.preflightPorts(d, existing); err != nil {
		return nil, err
	}

	r.Progress("create container", 4, deploySteps)
	if existing != nil {
		r.Log(fmt.Sprintf("replacing container %s (%s)", d.ContainerName, shortID(existing.ID)))
		if err := p.setAside(ctx, existing, &undo); err != nil {
			return nil, err
		}
	}
	created, err := p.cli.ContainerCreate(ctx, d.containerSpec(hash))
	if err != nil {
		// A cancelled request may still have created the container: the name was free a
		// moment ago, so whatever holds it now with our labels is ours to remove.
		undo.add("remove", "container/"+d.ContainerName, func(ctx context.Context) error {
			return p.removeIfOurs(ctx, d)
		})
		return nil, p.wrap("create container "+d.ContainerName, err)
	}
	madeID = created.ID
	undo.add("remove", "container/"+d.ContainerName, func(ctx context.Context) error {
		_, err := p.cli.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{Force: true})
		return ignoreNotFound(err)
	})
	for _, w := range created.Warnings {
		dep.Warnings = append(dep.Warnings, "engine: "+w)
	}
	if err := p.copySecretFiles(ctx, created.ID, d); err != nil {
		return nil, err
	}

	if err := network.join(&undo); err != nil {
		return nil, err
	}
	r.Progress("start container", 5, deploySteps)
	r.Log(fmt.Sprintf("starting container %s from %s", d.ContainerName, d.Image))
	if _, err := p.cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return nil, p.startError(d, err)
	}
	r.Progress("wait for readiness", 6, deploySteps)
	if err := p.waitReady(ctx, created.ID, d, p.timeoutFor(s), 0, r); err != nil {
		return nil, err
	}
	if existing != nil {
		if _, rerr := p.cli.ContainerRemove(ctx, existing.ID, client.ContainerRemoveOptions{Force: true}); ignoreNotFound(rerr) != nil {
			// The new container runs; the old one carries our labels and is reaped by the next
			// Deploy or by Destroy.
			dep.Warnings = append(dep.Warnings, "old container not removed: "+p.wrap("remove", rerr).Error())
		}
	}
	if err := p.SyncRoutes(ctx); err != nil {
		return nil, err
	}
	undo.clear()
	dep.Changed = true
	dep.State = providers.StateRunning
	dep.Handle = newHandle(created.ID)
	dep.Connection = p.connection(d)
	dep.Messages = append(dep.Messages, fmt.Sprintf("container %s running from %s", d.ContainerName, d.Image))
	r.Log(dep.Messages[len(dep.Messages)-1])
	return dep, nil
}

// keep handles an up-to-date container: start it if needed, wait for readiness.
func (p *Provider) keep(ctx context.Context, s *providers.Spec, d *desired, c *container.InspectResponse, dep *providers.Deployment, r providers.Reporter) (*providers.Deployment, error) {
	if c.State == nil || !c.State.Running || c.State.Paused {
		r.Log(fmt.Sprintf("container %s is up to date but %s; starting it", d.ContainerName, stateOf(c)))
		if c.State != nil && c.State.Paused {
			if _, err := p.cli.ContainerUnpause(ctx, c.ID, client.ContainerUnpauseOptions{}); err != nil {
				return nil, p.wrap("unpause container "+d.ContainerName, err)
			}
		} else if _, err := p.cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}); err != nil {
			return nil, p.startError(d, err)
		}
		dep.Changed = true
	} else {
		r.Log(fmt.Sprintf("container %s is up to date", d.ContainerName))
	}
	if err := p.waitReady(ctx, c.ID, d, p.timeoutFor(s), c.RestartCount, r); err != nil {
		return nil, err
	}
	if err := p.SyncRoutes(ctx); err != nil {
		return nil, err
	}
	dep.State = providers.StateRunning
	dep.Handle = newHandle(c.ID)
	dep.Connection = p.connection(d)
	return dep, nil
}

// resolveImage sets d.ImageID from the local image store; it never pulls (ensureImage does).
// A missing image is an error wrapping providers.ErrNotFound that says what to do about it.
func (p *Provider) resolveImage(ctx context.Context, d *desired) error {
	img, err := p.cli.ImageInspect(ctx, d.Image)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return fmt.Errorf("docker: image %q is not present on the engine at %s and pull_policy is %s, so no registry pull is made: build or load it locally first (for the test images: scripts/build-test-image.sh), or use pull_policy IfNotPresent: %w",
				d.Image, p.host, d.PullPolicy, providers.ErrNotFound)
		}
		return p.wrap("inspect image "+d.Image, err)
	}
	d.ImageID = img.ID
	return nil
}

// writeCompose writes the compose artifact when Config.ComposeDir asks for it.
func (p *Provider) writeCompose(env, compose string) error {
	if p.composeDir == "" {
		return nil
	}
	dir := filepath.Join(p.composeDir, env)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("docker: write compose file: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(compose), 0o644); err != nil {
		return fmt.Errorf("docker: write compose file: %w", err)
	}
	return nil
}

// ownedContainer inspects the container called name. It returns nil when there is none, and
// an error wrapping providers.ErrConflict when it exists without o's labels (another
// repository's environment of the same name included).
func (p *Provider) ownedContainer(ctx context.Context, name string, o owner) (*container.InspectResponse, error) {
	res, err := p.cli.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, nil
		}
		return nil, p.wrap("inspect container "+name, err)
	}
	c := res.Container
	var labels map[string]string
	if c.Config != nil {
		labels = c.Config.Labels
	}
	if !o.ours(labels) {
		return nil, fmt.Errorf("docker: a container named %s exists %s (labels %s, %s, %s); it is left alone, remove or rename it: %w",
			name, o.stranger(labels), providers.LabelManagedBy, providers.LabelEnv, providers.LabelRepo, providers.ErrConflict)
	}
	return &c, nil
}

// removeIfOurs removes the container called d.ContainerName when it carries our labels.
func (p *Provider) removeIfOurs(ctx context.Context, d *desired) error {
	c, err := p.ownedContainer(ctx, d.ContainerName, d.owner())
	if err != nil || c == nil {
		if errors.Is(err, providers.ErrConflict) {
			return nil
		}
		return err
	}
	_, err = p.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
	return ignoreNotFound(err)
}

// reapReplaced removes labelled containers of env left set aside by an interrupted replace.
func (p *Provider) reapReplaced(ctx context.Context, d *desired) error {
	list, err := p.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: ownedFilter(d.Env)})
	if err != nil {
		return p.wrap("list containers", err)
	}
	for _, c := range list.Items {
		if slicesContains(c.Names, "/"+d.ContainerName) || !d.owner().ours(c.Labels) {
			continue
		}
		if _, err := p.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); ignoreNotFound(err) != nil {
			return p.wrap("remove stale container "+shortID(c.ID), err)
		}
	}
	return nil
}

// setAside stops the current container and renames it out of the way, recording how to put
// it back if the replacement fails.
func (p *Provider) setAside(ctx context.Context, c *container.InspectResponse, undo *rollback) error {
	wasRunning := c.State != nil && c.State.Running
	name := strings.TrimPrefix(c.Name, "/")
	if wasRunning {
		if err := p.stopContainer(ctx, c.ID); err != nil {
			return err
		}
	}
	aside := name + "-replaced-" + shortID(c.ID)
	if _, err := p.cli.ContainerRename(ctx, c.ID, client.ContainerRenameOptions{NewName: aside}); err != nil {
		if wasRunning {
			_, _ = p.cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{})
		}
		return p.wrap("rename container "+name, err)
	}
	undo.add("restore", "container/"+name, func(ctx context.Context) error {
		if _, err := p.cli.ContainerRename(ctx, c.ID, client.ContainerRenameOptions{NewName: name}); err != nil {
			return err
		}
		if wasRunning {
			_, err := p.cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{})
			return err
		}
		return nil
	})
	return nil
}

func (p *Provider) stopContainer(ctx context.Context, id string) error {
	secs := int(p.stopTimeout / time.Second)
	if _, err := p.cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &secs}); err != nil {
		return p.wrap("stop container "+shortID(id), err)
	}
	return nil
}

// startError explains a failed start; a host port taken by someone else becomes ErrConflict
// naming the port (found by probing, not by reading the engine's message).
func (p *Provider) startError(d *desired, err error) error {
	if p.localEngine() {
		for _, pm := range d.Ports {
			if pm.HostPort == 0 {
				continue
			}
			if perr := portFree(pm); perr != nil {
				return fmt.Errorf("docker: start container %s: host port %s:%d/%s is already in use: %w",
					d.ContainerName, pm.HostIP, pm.HostPort, pm.Proto, providers.ErrConflict)
			}
		}
	}
	return p.wrap("start container "+d.ContainerName, err)
}

func ignoreNotFound(err error) error {
	if err != nil && cerrdefs.IsNotFound(err) {
		return nil
	}
	return err
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// ownedFilter selects resources carrying our labels for env.
func ownedFilter(env string) client.Filters {
	return make(client.Filters).Add("label",
		providers.LabelManagedBy+"="+providers.ManagedByValue,
		providers.LabelEnv+"="+env)
}

// rollback undoes a partial deploy in reverse order, under a context that survives the
// caller's cancellation but is bounded by cleanupTimeout.
type rollback struct {
	steps []rollbackStep
}

type rollbackStep struct {
	verb     string // "remove", "restore"
	resource string // kind/name
	fn       func(context.Context) error
}

func (u *rollback) add(verb, resource string, fn func(context.Context) error) {
	u.steps = append(u.steps, rollbackStep{verb, resource, fn})
}

func (u *rollback) clear() { u.steps = nil }

// run runs the steps and returns the resources whose step failed (left behind) and why.
func (u *rollback) run(ctx context.Context) (left []string, err error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var errs []error
	for i := len(u.steps) - 1; i >= 0; i-- {
		st := u.steps[i]
		if err := st.fn(cctx); err != nil {
			left = append(left, st.resource)
			errs = append(errs, fmt.Errorf("%s %s: %w", st.verb, st.resource, err))
		}
	}
	u.steps = nil
	return left, errors.Join(errs...)
}
