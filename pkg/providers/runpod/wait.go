package runpod

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// readiness says how a pod counts as ready.
type readiness struct {
	httpPorts []int
	cloud     string
}

// ready reports whether pod p serves: RUNNING with a public IP and port mappings. RUNNING
// alone is not enough: the address appears only once the image is pulled and the container
// runs (shared/spec A8).
func ready(p pod) bool {
	return p.Status == statusRunning && p.PublicIP != "" && len(p.PortMappings) > 0
}

// waitReady polls pod id until it is ready, and fails as soon as the pod fails (ERROR, or
// EXITED while it should run), with its last log lines, rather than at the timeout. A
// Community Cloud pod that runs without a public address for ProxyFallback is judged through
// its HTTP proxy instead (or, with no HTTP port, by its RUNNING status); note says so.
func (p *Provider) waitReady(ctx context.Context, a api, id string, rd readiness, timeout time.Duration, r providers.Reporter) (cur pod, note string, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var runningSince time.Time
	var last pod
	for {
		cur, err := a.get(ctx, id)
		switch {
		case err == nil:
			last = cur
		case isGone(err):
			return cur, "", fmt.Errorf("runpod: pod %s disappeared while starting: %w", id, providers.ErrNotFound)
		case ctx.Err() != nil:
		case !providers.IsRetryable(err):
			return cur, "", fmt.Errorf("runpod: wait for pod %s: %w", id, err)
		}
		if err == nil {
			switch cur.Status {
			case statusError, statusExited:
				return cur, "", p.failed(ctx, a, cur)
			case statusTerminated:
				return cur, "", fmt.Errorf("runpod: pod %s was terminated while starting: %w", id, providers.ErrNotFound)
			case statusRunning:
				if ready(cur) {
					return cur, "", nil
				}
				if runningSince.IsZero() {
					runningSince = time.Now()
					r.Log(fmt.Sprintf("pod %s is RUNNING; waiting for its public address", id))
				}
				if cur.Cloud == "COMMUNITY" || rd.cloud == "COMMUNITY" {
					if time.Since(runningSince) >= p.cfg.ProxyFallback {
						if note, ok := p.proxyReady(ctx, cur, rd.httpPorts); ok {
							return cur, note, nil
						}
					}
				}
			}
		}
		if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return last, "", p.timedOut(a, last, id, timeout)
			}
			return last, "", fmt.Errorf("runpod: wait for pod %s: %w", id, err)
		}
	}
}

// proxyReady judges a pod without a public address through its HTTP proxy.
func (p *Provider) proxyReady(ctx context.Context, cur pod, httpPorts []int) (string, bool) {
	if len(httpPorts) == 0 {
		return "pod " + cur.ID + " has no public IP (Community Cloud); it counts as ready because it is RUNNING, and is reachable only through the RunPod proxies", true
	}
	u := p.cfg.ProxyURL(cur.ID, httpPorts[0])
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", false
	}
	resp, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", false
	}
	resp.Body.Close()
	// Cloudflare answers 502-524 while the pod's port does not answer.
	if resp.StatusCode >= 500 {
		return "", false
	}
	return "pod " + cur.ID + " has no public IP (Community Cloud); it is ready through its HTTP proxy " + u, true
}

// failed reports a pod that stopped or failed while it should run, with its last log lines.
func (p *Provider) failed(ctx context.Context, a api, cur pod) error {
	what := "failed (status ERROR)"
	if cur.Status == statusExited {
		what = "exited while starting (status EXITED): its container stopped, or the platform reclaimed an interruptible pod"
	}
	return fmt.Errorf("runpod: pod %s %s%s", cur.ID, what, p.logTail(ctx, a, cur.ID))
}

func (p *Provider) timedOut(a api, last pod, id string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	why := "status " + last.Status.String()
	if last.Status == statusRunning {
		why += " but no public IP and port mappings yet"
	}
	return fmt.Errorf("runpod: pod %s not ready after %s (%s)%s: %w", id, timeout, why, p.logTail(ctx, a, id), context.DeadlineExceeded)
}

// logTail returns the pod's last log lines as a suffix for an error, or "".
func (p *Provider) logTail(ctx context.Context, a api, id string) string {
	lines, err := a.logs(context.WithoutCancel(ctx), id, logLines)
	if err != nil || len(lines) == 0 {
		return ""
	}
	return "; last log lines:\n  " + strings.Join(lines, "\n  ")
}
