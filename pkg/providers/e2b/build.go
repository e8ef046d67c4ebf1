package e2b

import (
	"context"
	"fmt"
	"strings"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// build builds d's template from its image: POST /v3/templates registers a build of the
// template named d.tpl.name (its CPU and memory are the template's), then the build starts
// fromImage with no steps, and is polled until ready. It returns the template's id. Without
// wait (Plan's dry run) nothing is polled and the ids are placeholders.
func (p *Provider) build(ctx context.Context, a *api, d *desired, r providers.Reporter, wait bool) (string, error) {
	ids, err := a.requestBuild(ctx, buildRequest{Name: d.tpl.name, CPUCount: d.tpl.cpu, MemoryMB: d.tpl.memoryMB})
	if err != nil {
		return "", fmt.Errorf("e2b: request build of template %s: %w", d.tpl.name, explain(err, d))
	}
	if !wait {
		ids = buildIDs{TemplateID: "<template-id>", BuildID: "<build-id>"}
	}
	body := buildStart{FromImage: d.tpl.image, FromImageRegistry: d.tpl.registry, Steps: []any{}}
	if err := a.startBuild(ctx, ids, body, d.secrets); err != nil {
		// A start that took effect but whose answer was lost is refused on retry (the build
		// is no longer waiting): the status below says what happened.
		if status(err) != 400 || !wait {
			return ids.TemplateID, fmt.Errorf("e2b: start build of template %s: %w", d.tpl.name, explain(err, d))
		}
	}
	if !wait {
		return ids.TemplateID, nil
	}
	r.Log(fmt.Sprintf("e2b: building template %s from %s (%d vCPU, %d MiB)", d.tpl.name, d.tpl.image, d.tpl.cpu, d.tpl.memoryMB))
	return ids.TemplateID, p.waitBuild(ctx, a, ids, d, r)
}

// waitBuild polls a build until it is ready. A failed build ends the wait at once with its
// reason and its last log lines (reported first, secrets redacted), as ErrWorkloadFailed.
func (p *Provider) waitBuild(ctx context.Context, a *api, ids buildIDs, d *desired, r providers.Reporter) error {
	var tail []string
	offset := 0
	redact := rest.NewRedactor(d.secrets...)
	for {
		info, err := a.buildStatus(ctx, ids, offset)
		switch {
		case err != nil && !providers.IsRetryable(err):
			return fmt.Errorf("e2b: build of template %s: %w", d.tpl.name, err)
		case err == nil:
			offset += len(info.LogEntries)
			for _, e := range info.LogEntries {
				tail = append(tail, bound(redact.String(e.Message)))
			}
			if len(tail) > logLines {
				tail = tail[len(tail)-logLines:]
			}
			switch info.Status {
			case "ready":
				return nil
			case "error":
				reason := "no reason given"
				if info.Reason != nil && info.Reason.Message != "" {
					reason = redact.String(info.Reason.Message)
				}
				for _, l := range tail {
					r.Log(d.tpl.name + ": " + l)
				}
				return fmt.Errorf("e2b: build of template %s from %s failed: %s%s: %w", d.tpl.name, d.tpl.image, reason, lastLine(tail), providers.ErrWorkloadFailed)
			}
		}
		if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
			for _, l := range tail {
				r.Log(d.tpl.name + ": " + l)
			}
			return fmt.Errorf("e2b: build of template %s not ready%s: %w", d.tpl.name, lastLine(tail), err)
		}
	}
}

// bound cuts a log line after 300 characters (after redacting).
func bound(s string) string {
	s = strings.TrimRight(s, "\r\n")
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

func lastLine(tail []string) string {
	if len(tail) == 0 {
		return ""
	}
	return " (last log line: " + tail[len(tail)-1] + ")"
}
