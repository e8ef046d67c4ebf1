package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// pendingNetwork is the per-env bridge network being made in the background (see
// startNetwork). The zero value (and nil) is a network with nothing to wait for.
type pendingNetwork struct {
	done   chan struct{}
	err    error
	undo   rollback // the creation's own rollback step, handed over by join
	joined bool
}

// startNetwork finds the per-env bridge network, at once, and when it is missing starts
// creating it in the background: the engine accepts a container create naming a network that
// does not exist yet (only the start needs it), and making a bridge network (its interface
// and firewall rules) takes the engine about as long as the container create, so the two
// overlap. A network of that name without our labels is an error wrapping
// providers.ErrConflict before anything is made. The caller must join the result before it
// starts the container, and on every other way out (join is idempotent).
func (p *Provider) startNetwork(ctx context.Context, d *desired) (*pendingNetwork, error) {
	if d.Network == "" {
		return nil, nil
	}
	res, err := p.cli.NetworkInspect(ctx, d.Network, client.NetworkInspectOptions{})
	switch {
	case err == nil && res.Network.Name == d.Network:
		if o := d.owner(); !o.ours(res.Network.Labels) {
			return nil, fmt.Errorf("docker: a network named %s exists %s; it is left alone: %w", d.Network, o.stranger(res.Network.Labels), providers.ErrConflict)
		}
		return nil, nil
	case err != nil && !cerrdefs.IsNotFound(err):
		return nil, p.wrap("inspect network "+d.Network, err)
	}
	n := &pendingNetwork{done: make(chan struct{})}
	go func() {
		defer close(n.done)
		// Not cut short by the caller's cancellation: a create cancelled in flight may still
		// finish on the engine after the rollback looked for it (and a retry would then make a
		// second network of the same name). It is quick; the rollback removes it by id.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		n.err = p.createNetwork(cctx, d, &n.undo)
	}()
	return n, nil
}

// join waits for the network's creation, moves its rollback step to the front of undo (the
// network goes last, after the container on it) and returns the creation's error.
func (n *pendingNetwork) join(undo *rollback) error {
	if n == nil {
		return nil
	}
	<-n.done
	if !n.joined {
		n.joined = true
		undo.steps = append(n.undo.steps, undo.steps...)
	}
	return n.err
}

// createNetwork creates the per-env bridge network, recording its removal in undo.
func (p *Provider) createNetwork(ctx context.Context, d *desired, undo *rollback) error {
	created, err := p.cli.NetworkCreate(ctx, d.Network, client.NetworkCreateOptions{Driver: "bridge", Labels: d.Labels})
	if err != nil {
		// A cancelled request may still have created it; remove it only if it is ours.
		undo.add("remove", "network/"+d.Network, func(ctx context.Context) error {
			res, err := p.cli.NetworkInspect(ctx, d.Network, client.NetworkInspectOptions{})
			if err != nil || res.Network.Name != d.Network || !d.owner().ours(res.Network.Labels) {
				return ignoreNotFound(err)
			}
			_, err = p.cli.NetworkRemove(ctx, res.Network.ID, client.NetworkRemoveOptions{})
			return ignoreNotFound(err)
		})
		return p.wrap("create network "+d.Network, err)
	}
	undo.add("remove", "network/"+d.Network, func(ctx context.Context) error {
		_, err := p.cli.NetworkRemove(ctx, created.ID, client.NetworkRemoveOptions{})
		return ignoreNotFound(err)
	})
	return nil
}

// ensureVolume finds or creates a named volume; an existing one must carry our labels.
func (p *Provider) ensureVolume(ctx context.Context, d *desired, name string, undo *rollback) error {
	res, err := p.cli.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
	switch {
	case err == nil:
		if o := d.owner(); !o.ours(res.Volume.Labels) {
			return fmt.Errorf("docker: a volume named %s exists %s; it is left alone: %w", name, o.stranger(res.Volume.Labels), providers.ErrConflict)
		}
		return nil
	case !cerrdefs.IsNotFound(err):
		return p.wrap("inspect volume "+name, err)
	}
	// Registered before the call: a cancelled request may still create the volume. Removal
	// is guarded by our labels, and the volume did not exist a moment ago.
	undo.add("remove", "volume/"+name, func(ctx context.Context) error {
		res, err := p.cli.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
		if err != nil || !d.owner().ours(res.Volume.Labels) {
			return ignoreNotFound(err)
		}
		_, err = p.cli.VolumeRemove(ctx, name, client.VolumeRemoveOptions{Force: true})
		return ignoreNotFound(err)
	})
	if _, err := p.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: name, Driver: "local", Labels: d.Labels}); err != nil {
		return p.wrap("create volume "+name, err)
	}
	return nil
}

// preflightPorts fails early, before anything is created, when a host port is taken by
// something other than the container being replaced. Only meaningful for a local engine.
func (p *Provider) preflightPorts(d *desired, existing *container.InspectResponse) error {
	if !p.localEngine() {
		return nil
	}
	held := map[string]bool{}
	if existing != nil && existing.State != nil && existing.State.Running && existing.HostConfig != nil {
		for port, bindings := range existing.HostConfig.PortBindings {
			for _, b := range bindings {
				held[b.HostPort+"/"+string(port.Proto())] = true
			}
		}
	}
	for _, pm := range d.Ports {
		if pm.HostPort == 0 || held[strconv.Itoa(int(pm.HostPort))+"/"+pm.Proto] {
			continue
		}
		if err := portFree(pm); err != nil {
			return fmt.Errorf("docker: host port %s:%d/%s is already in use (providers.docker.ports): %w",
				pm.HostIP, pm.HostPort, pm.Proto, providers.ErrConflict)
		}
	}
	return nil
}

// portFree reports whether the host port of pm can be bound right now.
func portFree(pm portMapping) error {
	addr := net.JoinHostPort(pm.HostIP, strconv.Itoa(int(pm.HostPort)))
	if pm.Proto == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}

// copySecretFiles writes file secrets into the created (not yet started) container through
// the archive API, with their modes, owned by the image's user. They never touch the host's
// disk on our side.
func (p *Provider) copySecretFiles(ctx context.Context, id string, d *desired) error {
	for _, fs := range d.SecretFiles {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		hdr := &tar.Header{Name: strings.TrimPrefix(fs.Path, "/"), Mode: fs.Mode, Size: int64(len(fs.content)),
			Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("docker: secret file %s: %w", fs.Name, err)
		}
		if _, err := tw.Write(fs.content); err != nil {
			return fmt.Errorf("docker: secret file %s: %w", fs.Name, err)
		}
		if err := tw.Close(); err != nil {
			return fmt.Errorf("docker: secret file %s: %w", fs.Name, err)
		}
		if _, err := p.cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{
			DestinationPath: "/", Content: &buf, CopyUIDGID: true}); err != nil {
			// The engine's message names paths only, never content.
			return p.wrap("copy secret "+fs.Name+" to "+fs.Path, err)
		}
	}
	return nil
}

// secretsMatch compares the secrets a container holds with the desired ones, in memory.
func (p *Provider) secretsMatch(ctx context.Context, c *container.InspectResponse, d *desired) (bool, error) {
	have := map[string]string{}
	if c.Config != nil {
		for _, kv := range c.Config.Env {
			k, v, _ := strings.Cut(kv, "=")
			have[k] = v
		}
	}
	for _, s := range d.secrets {
		if v, ok := have[s.Name]; !ok || v != s.value {
			return false, nil
		}
	}
	for _, fs := range d.SecretFiles {
		res, err := p.cli.CopyFromContainer(ctx, c.ID, client.CopyFromContainerOptions{SourcePath: fs.Path})
		if err != nil {
			if cerrdefs.IsNotFound(err) {
				return false, nil
			}
			return false, p.wrap("read back secret "+fs.Name, err)
		}
		same, err := tarHolds(res.Content, fs)
		res.Content.Close()
		if err != nil {
			return false, fmt.Errorf("docker: read back secret %s: %w", fs.Name, err)
		}
		if !same {
			return false, nil
		}
	}
	return true, nil
}

// tarHolds reports whether the single-file archive r has fs's content and mode.
func tarHolds(r io.Reader, fs fileSecret) (bool, error) {
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Mode&0o777 != fs.Mode || hdr.Size != int64(len(fs.content)) {
		return false, nil
	}
	got, err := io.ReadAll(io.LimitReader(tr, hdr.Size+1))
	if err != nil {
		return false, err
	}
	return bytes.Equal(got, fs.content), nil
}

// Published ports are probed on two consecutive polls at least readyConfirmGap apart, the
// second time with the longer confirmProbeWait: under load Docker's userland proxy can take
// longer than probeWait to close a connection nobody inside accepts, and a container that
// exits right away is caught by the second inspect.
const (
	readyConfirmGap  = 100 * time.Millisecond
	probeWait        = 100 * time.Millisecond
	confirmProbeWait = 200 * time.Millisecond
)

// waitReady waits until the container runs and every published TCP port accepts connections.
// When ports are probed, that must hold on two consecutive polls (see readyConfirmGap).
// restarts is the container's restart count before this start (-1: unknown). A container that
// exits, restarts or turns unhealthy meanwhile fails at once with providers.ErrWorkloadFailed,
// its last log lines reported to r (see failure and workloadFailed); one still not ready at
// the timeout has them reported too.
func (p *Provider) waitReady(ctx context.Context, id string, d *desired, timeout time.Duration, restarts int, r providers.Reporter) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Poll fast at first (a started container is usually running at once), then back off.
	interval := 25 * time.Millisecond
	timer := time.NewTimer(interval)
	defer timer.Stop()
	last := "unknown"
	var seen *container.InspectResponse
	confirming := false // the previous poll found the container running with its ports open
	for {
		wait := interval
		res, err := p.cli.ContainerInspect(wctx, id, client.ContainerInspectOptions{})
		ready := false
		if err == nil {
			c := res.Container
			seen, last = &c, stateOf(&c)
			d.fillHostPorts(&c)
			if why := failure(&c, restarts); why != "" {
				return p.workloadFailed(ctx, &c, d, why, r)
			}
			if st := c.State; st != nil && st.Running && !st.Restarting && !st.Paused {
				var why string
				ready, why = p.runningReady(d, st, confirming)
				if ready && (confirming || !p.probesPorts(d)) {
					return nil
				}
				switch left := p.stableLeft(d, st); {
				case ready:
					last, wait = "running, ports open once; confirming", readyConfirmGap
				case left > 0:
					// The next poll at the window's end, not past it: the window is the whole
					// price of a deploy without ports, and polls within it stay close enough.
					last, wait = why, min(wait, left)
				default:
					last = why
				}
			}
		} else if wctx.Err() == nil {
			return p.wrap("inspect container "+d.ContainerName, err)
		}
		confirming = ready
		timer.Reset(wait)
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return fmt.Errorf("docker: waiting for %s: %w", d.ContainerName, ctx.Err())
			}
			if seen != nil {
				p.reportLastLines(ctx, seen, d, r)
			}
			return fmt.Errorf("docker: container %s not ready within %s (last state: %s): %w",
				d.ContainerName, timeout, last, context.DeadlineExceeded)
		case <-timer.C:
		}
		interval = min(interval*2, p.maxPoll(d))
	}
}

// maxPoll bounds the wait between readiness polls: 500 ms while ports are probed, and a third of
// the stability window otherwise, so that the window is watched closely and ends on time.
func (p *Provider) maxPoll(d *desired) time.Duration {
	if p.probesPorts(d) {
		return 500 * time.Millisecond
	}
	return max(p.stableFor/3, 10*time.Millisecond)
}

// runningReady decides whether a running container is ready: healthy when its image has a
// HEALTHCHECK (unhealthy is a failure, found by failure), and either its published TCP ports
// accept connections or, when there are none that can be probed from here, it has kept
// running for stableFor. confirm selects the longer probe of a confirming poll. When not ready it says why.
func (p *Provider) runningReady(d *desired, st *container.State, confirm bool) (bool, string) {
	if h := st.Health; h != nil && h.Status != container.Healthy {
		return false, "running, health check " + string(h.Status)
	}
	if p.probesPorts(d) {
		wait := probeWait
		if confirm {
			wait = confirmProbeWait
		}
		if p.portsReady(d, wait) {
			return true, ""
		}
		return false, "running, published ports not accepting connections yet"
	}
	// Nothing to probe (a remote engine, or no published TCP port): a container that exits
	// as it starts is running at the first poll, so only time tells.
	if p.stableLeft(d, st) <= 0 {
		return true, ""
	}
	return false, fmt.Sprintf("running for less than %s", p.stableFor)
}

// stableLeft is how much longer a running container must keep running before it counts as
// ready when no port is probed (0: long enough, or its ports are probed instead).
func (p *Provider) stableLeft(d *desired, st *container.State) time.Duration {
	if p.probesPorts(d) {
		return 0
	}
	started, err := time.Parse(time.RFC3339Nano, st.StartedAt)
	if err != nil {
		return 0
	}
	return max(p.stableFor-time.Since(started), 0)
}

// probesPorts reports whether readiness includes probing published TCP ports from here.
func (p *Provider) probesPorts(d *desired) bool {
	if !p.localEngine() {
		return false
	}
	for _, pm := range d.Ports {
		if pm.Proto == "tcp" {
			return true
		}
	}
	return false
}

// portsReady probes the published TCP ports. Docker's userland proxy accepts connections even
// when nothing listens inside and then closes them, so an EOF within wait counts as not ready;
// a connection open and silent for wait (or a server greeting) counts as ready.
func (p *Provider) portsReady(d *desired, wait time.Duration) bool {
	if !p.localEngine() {
		return true
	}
	for _, pm := range d.Ports {
		if pm.Proto != "tcp" {
			continue
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort(dialHost(pm.HostIP), strconv.Itoa(int(pm.HostPort))), time.Second)
		if err != nil {
			return false
		}
		_ = c.SetReadDeadline(time.Now().Add(wait))
		_, err = c.Read(make([]byte, 1))
		c.Close()
		var ne net.Error
		if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			return false
		}
	}
	return true
}

// dialHost turns a wildcard bind address into a loopback address that can be dialled.
func dialHost(ip string) string {
	switch ip {
	case "0.0.0.0", "":
		return "127.0.0.1"
	case "::":
		return "::1"
	}
	return ip
}

// connection describes how to reach the environment.
func (p *Provider) connection(d *desired) *providers.Connection {
	host := ""
	if p.host != client.DefaultDockerHost {
		host = " -H " + p.host
	}
	c := &providers.Connection{
		ExecCommand: fmt.Sprintf("docker%s exec -it -e HOME=%s -u developer -w %s %s bash -l", host, homePath, homePath, d.ContainerName),
	}
	var urls []string
	for _, pm := range d.Ports {
		if pm.Proto == "tcp" {
			urls = append(urls, "http://"+net.JoinHostPort(dialHost(pm.HostIP), strconv.Itoa(int(pm.HostPort))))
		}
	}
	if pub := d.Labels[LabelPublicURL]; pub != "" {
		// The public name first: it is what reviewers open; the published ports are reachable
		// on the engine's host only.
		if strings.HasPrefix(pub, "https://") {
			c.HTTPSURL = pub
		} else {
			c.HTTPURL = pub
		}
		if len(urls) > 0 {
			c.Instructions = "public URL " + pub + " (through the reverse proxy); published on the engine's host: " + strings.Join(urls, " ")
		}
		return c
	}
	if len(urls) > 0 {
		c.HTTPURL = urls[0]
		if len(urls) > 1 {
			c.Instructions = "published ports: " + strings.Join(urls, " ")
		}
	}
	return c
}

// stateOf renders a container state for messages.
func stateOf(c *container.InspectResponse) string {
	if c == nil || c.State == nil {
		return "unknown"
	}
	s := string(c.State.Status)
	if c.State.Status == container.StateExited {
		s += " (exit code " + strconv.Itoa(c.State.ExitCode) + ")"
	}
	return s
}

func joinHostPort(host, port string) string { return net.JoinHostPort(host, port) }
