package events

import (
	"context"
	"fmt"
	"iter"

	"github.com/nats-io/nats.go/jetstream"
)

// OrderedConsumerCreator is the part of jetstream.JetStream that Follow needs.
type OrderedConsumerCreator interface {
	OrderedConsumer(ctx context.Context, stream string, cfg jetstream.OrderedConsumerConfig) (jetstream.Consumer, error)
}

// Follow replays the events of job jobID from the first one and keeps following new ones,
// until a terminal event (succeeded, failed, superseded, deadlettered) has been yielded, ctx
// ends, or the loop body stops. It works the same when started before the job is published or
// after it finished. Events published under the ids in also (RefusedID of the job's message,
// where an executor reports a refusal it could not file under the job's own id) are followed
// with the job's, in stream order, and end it the same way.
//
// Each step yields (event, nil). An event that does not decode yields (nil, err) with
// ErrMalformedEvent or ErrUnknownEventType and following continues. A fatal error — the
// consumer cannot be created (for example the stream does not exist), the connection closed,
// or ctx ended (ctx.Err()) — is yielded as (nil, err) and ends the sequence.
func Follow(ctx context.Context, js OrderedConsumerCreator, jobID string, also ...string) iter.Seq2[*Envelope, error] {
	return func(yield func(*Envelope, error) bool) {
		var subjects []string
		for _, id := range append([]string{jobID}, also...) {
			subj, err := EventsSubject(id)
			if err != nil {
				yield(nil, err)
				return
			}
			subjects = append(subjects, subj)
		}
		cons, err := js.OrderedConsumer(ctx, EventsStream, jetstream.OrderedConsumerConfig{
			FilterSubjects: subjects,
			DeliverPolicy:  jetstream.DeliverAllPolicy,
		})
		if err != nil {
			yield(nil, fmt.Errorf("events: follow %s: %w", jobID, err))
			return
		}
		msgs, err := cons.Messages()
		if err != nil {
			yield(nil, fmt.Errorf("events: follow %s: %w", jobID, err))
			return
		}
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-ctx.Done():
				msgs.Stop()
			case <-done:
				msgs.Stop()
			}
		}()
		for {
			m, err := msgs.Next()
			if err != nil {
				if ctx.Err() != nil {
					yield(nil, ctx.Err())
					return
				}
				yield(nil, fmt.Errorf("events: follow %s: %w", jobID, err))
				return
			}
			ev, err := Decode(m.Data())
			if err != nil {
				if !yield(nil, err) {
					return
				}
				continue
			}
			if !yield(ev, nil) || ev.Type.Terminal() {
				return
			}
		}
	}
}
