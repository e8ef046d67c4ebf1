package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// follow streams the job's events into the log and v until a terminal event. It returns false
// when following ended without one (timeout or a broken connection). The failure's log tail
// holds every line the log showed for the job (log, progress and retry lines): a provider that
// fails early may have sent progress only.
func (r *run) follow(ctx context.Context, bus *Bus, j *jobs.Job, seq uint64, v *action.View) bool {
	if t := r.req.Inputs.Timeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	r.out().Group(fmt.Sprintf("sindri %s %s (%s)", j.Kind, j.Env, j.Provider))
	defer r.out().EndGroup()
	var tail []string
	// An executor that cannot trust the job's id (signature not verified) files its refusal
	// under the message's sequence instead.
	for ev, err := range events.Follow(ctx, bus.JS, j.ID, events.RefusedID(seq)) {
		if err != nil {
			if ev == nil && (errors.Is(err, events.ErrMalformedEvent) || errors.Is(err, events.ErrUnknownEventType)) {
				r.out().Log(r.redact(fmt.Sprintf("(skipped an unreadable event: %v)", err)))
				continue
			}
			v.Error = r.redact(fmt.Sprintf("following job %s: %v", j.ID, err))
			v.LogTail = tail
			return false
		}
		switch d := ev.Data.(type) {
		case *events.Accepted:
			r.out().Log(fmt.Sprintf("accepted by %s (attempt %d)", d.Worker, d.Attempt))
		case *events.Started:
			r.out().Log(fmt.Sprintf("started on %s (attempt %d)", d.Worker, d.Attempt))
		case *events.Log:
			line := r.redact(d.Message)
			r.out().Log(line)
			tail = appendTail(tail, line)
		case *events.Progress:
			msg := d.Step
			if d.Total > 0 {
				msg = fmt.Sprintf("%s (%d/%d)", d.Step, d.Done, d.Total)
			}
			if d.Message != "" {
				msg += ": " + d.Message
			}
			line := r.redact(msg)
			if po, ok := r.out().(ProgressOutput); ok {
				po.Progress(line)
			} else {
				r.out().Log(line)
			}
			tail = appendTail(tail, line)
		case *events.Retrying:
			line := r.redact(fmt.Sprintf("retrying (attempt %d of %d, in %s): %s", d.Attempt, d.MaxAttempts, time.Duration(d.Delay), d.Message))
			r.out().Log(line)
			tail = appendTail(tail, line)
		case *events.Succeeded:
			applySucceeded(v, d)
			return true
		case *events.Failed:
			v.Phase = action.PhaseFailed
			v.Error = r.redact(d.Message)
			// Following replays the job's events from its first, so the tail seen here holds
			// the executor's LastLines (log lines only) and the progress between them; the
			// event's lines are the fallback when none arrived here.
			v.LogTail = tail
			if len(tail) == 0 {
				v.LogTail = redactAll(d.LastLines, r.redact)
			}
			return true
		case *events.Superseded:
			v.Phase = action.PhaseSuperseded
			r.out().Notice(fmt.Sprintf("skipped: %s (generation %d, desired %d)", d.Reason, d.Generation, d.DesiredGeneration))
			return true
		case *events.Deadlettered:
			v.Phase = action.PhaseFailed
			v.Error = r.redact(fmt.Sprintf("gave up after %d attempts: %s", d.Attempts, d.Message))
			v.LogTail = tail
			return true
		}
	}
	if v.Error == "" && errors.Is(ctx.Err(), context.Canceled) {
		v.Error = fmt.Sprintf("the action was cancelled while following job %s; it may still complete on an executor", j.ID)
	}
	if v.Error == "" && ctx.Err() != nil {
		v.Error = fmt.Sprintf("timed out after %s waiting for job %s (raise the `timeout` input)", r.req.Inputs.Timeout, j.ID)
	}
	v.LogTail = tail
	return false
}

func applySucceeded(v *action.View, d *events.Succeeded) {
	switch d.Kind {
	case jobs.KindDeploy:
		v.Phase = action.PhaseReady
	case jobs.KindDestroy, jobs.KindReap:
		v.Phase = action.PhaseDestroyed
	case jobs.KindStop:
		v.Phase = action.PhaseStopped
	case jobs.KindStart:
		v.Phase = action.PhaseStarted
	case jobs.KindPlan:
		v.Phase = action.PhasePlanned
	case jobs.KindStatus, jobs.KindImageBuild, jobs.KindImageValidate, jobs.KindImageList, jobs.KindImageDelete:
		v.Phase = action.PhaseStatus
	}
	v.URL, v.Connect, v.Plan = d.URL, d.Connect, d.Plan
	if d.Image != nil {
		v.Images = []providers.Image{*d.Image}
	} else if d.Kind == jobs.KindImageList {
		v.Images = d.Images
	}
	v.Cost, v.CostAt = d.Cost, time.Now()
	if d.Deployment != nil {
		v.State, v.Warnings = d.Deployment.State, d.Deployment.Warnings
		v.Connection = d.Deployment.Connection
		if c := d.Deployment.Connection; c != nil && v.Connect == "" {
			v.Connect = firstNonEmpty(c.ExecCommand, c.SSHCommand)
		}
	}
	if d.Status != nil {
		v.State, v.Status = d.Status.State, d.Status
	}
	if d.Kind == jobs.KindDestroy {
		v.State = providers.StateNotDeployed
	}
}

func appendTail(tail []string, line string) []string {
	tail = append(tail, line)
	if len(tail) > action.MaxLogLines {
		tail = tail[len(tail)-action.MaxLogLines:]
	}
	return tail
}

func redactAll(lines []string, redact action.Redactor) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = redact(l)
	}
	return out
}
