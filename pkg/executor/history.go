package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/events"
)

// history is what earlier deliveries of a job left in SINDRI_EVENTS.
type history struct {
	lastSeq uint64
	// attempts is how many times a worker started the provider for this job (Started events).
	attempts int
	// terminal is the type of the terminal event, "" when the job is not finished.
	terminal events.Type
}

// readHistory returns the history of jobID. The common cases cost one request: no events
// (first delivery), or a last event that says everything (terminal, retrying, started). Only a
// job whose worker died mid-run (last event a log line or progress) is read in full.
func (e *Executor) readHistory(ctx context.Context, jobID string) (history, error) {
	subj, err := events.EventsSubject(jobID)
	if err != nil {
		return history{}, err
	}
	m, err := e.eventsStream.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return history{}, nil
	}
	if err != nil {
		return history{}, fmt.Errorf("executor: history of %s: %w", jobID, err)
	}
	ev, err := events.Decode(m.Data)
	if err != nil {
		return history{}, fmt.Errorf("executor: history of %s: %w", jobID, err)
	}
	h := history{lastSeq: ev.Seq}
	switch d := ev.Data.(type) {
	case *events.Retrying:
		h.attempts = d.Attempt
		return h, nil
	case *events.Started:
		h.attempts = d.Attempt
		return h, nil
	case *events.Accepted:
		h.attempts = d.Attempt - 1
		return h, nil
	}
	if ev.Type.Terminal() {
		h.terminal = ev.Type
		return h, nil
	}
	return e.scanHistory(ctx, jobID, subj, h.lastSeq)
}

// scanHistory reads every event of the job up to lastSeq.
func (e *Executor) scanHistory(ctx context.Context, jobID, subj string, lastSeq uint64) (history, error) {
	cons, err := e.js.OrderedConsumer(ctx, events.EventsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subj},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return history{}, fmt.Errorf("executor: history of %s: %w", jobID, err)
	}
	h := history{}
	for h.lastSeq < lastSeq {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return history{}, fmt.Errorf("executor: history of %s: %w", jobID, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			ev, err := events.Decode(m.Data())
			if err != nil {
				continue // a foreign or broken event does not change what we know
			}
			h.lastSeq = max(h.lastSeq, ev.Seq)
			switch d := ev.Data.(type) {
			case *events.Started:
				h.attempts = max(h.attempts, d.Attempt)
			case *events.Retrying:
				h.attempts = max(h.attempts, d.Attempt)
			}
			if ev.Type.Terminal() {
				h.terminal = ev.Type
			}
		}
		if n == 0 {
			// Nothing more arrived: the events were trimmed by the stream's limits, or the
			// stream is unreachable. Go on with what was read rather than block the job.
			if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
				return h, fmt.Errorf("executor: history of %s: %w", jobID, err)
			}
			break
		}
	}
	return h, nil
}
