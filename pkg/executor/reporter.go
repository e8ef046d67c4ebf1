package executor

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// lastLinesKept is how many log lines a failed event carries.
const lastLinesKept = 20

// eventReporter is the providers.Reporter of one job: it redacts secret values and publishes
// each line and progress step as an event, in call order.
type eventReporter struct {
	ctx     context.Context
	em      *events.Emitter
	log     zerolog.Logger
	red     *secrets.Redactor
	timeout time.Duration
	// onSeqTaken is called when another delivery took the job's next event number: the
	// operation must stop (see events.ErrSeqTaken).
	onSeqTaken func()

	mu   sync.Mutex
	last []string
}

func newEventReporter(ctx context.Context, em *events.Emitter, log zerolog.Logger, red *secrets.Redactor) *eventReporter {
	return &eventReporter{ctx: ctx, em: em, log: log, red: red, timeout: 2 * time.Second}
}

// newRedactor returns the redactor of the spec's secret values (nil when there are none). It
// catches the values and their escaped, encoded and per-line forms (see secrets.Redactor).
func newRedactor(s *providers.Spec) *secrets.Redactor {
	if s == nil || len(s.Secrets)+len(s.Credentials) == 0 {
		return nil
	}
	vals := make([]secrets.Value, 0, len(s.Secrets)+len(s.Credentials))
	for _, sv := range append(slices.Clip(s.Secrets), s.Credentials...) {
		if sv.Value != nil {
			vals = append(vals, secrets.New(sv.Value.Reveal()))
		}
	}
	return secrets.NewRedactor(vals...)
}

// redact is nil-safe (*secrets.Redactor.Redact redacts nothing for nil).
func (r *eventReporter) redact(s string) string { return r.red.Redact(s) }

func (r *eventReporter) emit(d events.Data) {
	// Bounded by the operation's context: a provider blocked in Log while NATS is away must
	// still notice a cancellation (lease about to expire, drain). Such lines are dropped.
	ctx, cancel := context.WithTimeout(r.ctx, r.timeout)
	defer cancel()
	_, err := r.em.Emit(ctx, d)
	switch {
	case errors.Is(err, events.ErrSeqTaken):
		r.log.Info().Err(err).Msg("another delivery owns this job's events; stopping the operation")
		if r.onSeqTaken != nil {
			r.onSeqTaken()
		}
	case err != nil:
		r.log.Warn().Err(err).Str("event", string(d.EventType())).Msg("publish event")
	}
}

// Log implements providers.Reporter.
func (r *eventReporter) Log(line string) {
	line = r.redact(line)
	r.mu.Lock()
	r.last = append(r.last, line)
	if len(r.last) > lastLinesKept {
		r.last = r.last[len(r.last)-lastLinesKept:]
	}
	r.mu.Unlock()
	r.emit(&events.Log{Level: events.LevelInfo, Message: line})
}

// Progress implements providers.Reporter.
func (r *eventReporter) Progress(step string, done, total int) {
	r.emit(&events.Progress{Step: r.redact(step), Done: done, Total: total})
}

func (r *eventReporter) lastLines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.last...)
}
