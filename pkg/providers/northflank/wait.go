package northflank

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// maxLogLine is where a reported log line is cut, after redaction.
const maxLogLine = 300

// waitReady polls the service until it serves: not paused, status COMPLETED and a container
// TASK_RUNNING. It fails as soon as the rollout FAILED or a container failed (a crash loop
// keeps the rollout IN_PROGRESS), with the last log lines, rather than at the timeout. Each
// poll is one or two requests of the shared budget, so PollInterval is 10-15 s in production.
func (p *Provider) waitReady(ctx context.Context, a *api, project, id string, timeout time.Duration, secrets []string, r providers.Reporter) (service, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last service
	for {
		cur, err := a.getService(ctx, project, id)
		switch {
		case err == nil:
			last = cur
		case isGone(err):
			return cur, fmt.Errorf("northflank: service %s disappeared while starting: %w", id, providers.ErrNotFound)
		case errors.Is(err, rest.ErrRateLimited):
			// The budget resets later than the limiter waits: polling on cannot help, and the
			// executor requeues the job for after the reset (the error carries it).
			return cur, fmt.Errorf("northflank: wait for service %s: %w", id, err)
		case ctx.Err() != nil:
		case !providers.IsRetryable(err):
			return cur, fmt.Errorf("northflank: wait for service %s: %w", id, err)
		}
		if err == nil && !cur.ServicePaused {
			st := parseStatus(cur.Status.Deployment.Status)
			if st == statusFailed {
				return cur, p.failed(ctx, a, project, id, "its rollout FAILED", secrets, r)
			}
			if st == statusInProgress || st == statusCompleted {
				cs, cerr := a.containers(ctx, project, id)
				running := false
				for _, c := range cs {
					if failedContainer[c.Status] {
						return cur, p.failed(ctx, a, project, id, "container "+c.Name+" is "+c.Status, secrets, r)
					}
					running = running || c.Status == "TASK_RUNNING"
				}
				if cerr == nil && running && st == statusCompleted {
					return cur, nil
				}
			}
		}
		if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return last, p.timedOut(a, project, id, last, timeout, secrets, r)
			}
			return last, fmt.Errorf("northflank: wait for service %s: %w", id, err)
		}
	}
}

// failed reports a service whose workload stopped as it started, with its last log lines.
func (p *Provider) failed(ctx context.Context, a *api, project, id, why string, secrets []string, r providers.Reporter) error {
	tail := p.reportLogs(ctx, a, project, id, secrets, r)
	return fmt.Errorf("northflank: service %s failed as it started (%s)%s: %w", id, why, tail, providers.ErrWorkloadFailed)
}

func (p *Provider) timedOut(a *api, project, id string, last service, timeout time.Duration, secrets []string, r providers.Reporter) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tail := p.reportLogs(ctx, a, project, id, secrets, r)
	why := "status " + parseStatus(last.Status.Deployment.Status).String()
	if last.ServicePaused {
		why = "paused"
	}
	return fmt.Errorf("northflank: service %s not ready after %s (%s)%s: %w", id, timeout, why, tail, context.DeadlineExceeded)
}

// reportLogs reports the service's last log lines (redacted, cut) with r.Log, one call per
// line prefixed with the service, and returns the last one as an error suffix ("" if none).
func (p *Provider) reportLogs(ctx context.Context, a *api, project, id string, secrets []string, r providers.Reporter) string {
	lines, err := a.logs(context.WithoutCancel(ctx), project, id, logLines)
	if err != nil || len(lines) == 0 {
		return ""
	}
	red := rest.NewRedactor(secrets...)
	last := ""
	for _, l := range lines {
		l = red.String(strings.TrimRight(l, "\n"))
		if len(l) > maxLogLine {
			l = l[:maxLogLine] + "…"
		}
		r.Log(id + ": " + l)
		last = l
	}
	return "; last log line: " + last
}
