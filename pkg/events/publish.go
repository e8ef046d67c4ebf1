package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/jobs"
)

// Publisher publishes jobs and events to JetStream with de-duplication ids. It is safe for
// concurrent use.
type Publisher struct {
	js jetstream.Publisher
}

// NewPublisher returns a Publisher over js (a jetstream.JetStream satisfies it).
func NewPublisher(js jetstream.Publisher) *Publisher { return &Publisher{js: js} }

// Publish publishes ev on sindri.events.<job-id> with Nats-Msg-Id = ev.ID ("<job-id>-<seq>"),
// so a retried publish of the same event is stored once. Errors: the envelope's check
// (ErrMalformedEvent, ErrUnknownEventType, ErrBadSubject) or the publish error, wrapped.
func (p *Publisher) Publish(ctx context.Context, ev *Envelope) error {
	_, err := p.publishEvent(ctx, ev)
	return err
}

func (p *Publisher) publishEvent(ctx context.Context, ev *Envelope) (*jetstream.PubAck, error) {
	subj, err := EventsSubject(ev.Subject)
	if err != nil {
		return nil, err
	}
	b, err := ev.Encode()
	if err != nil {
		return nil, err
	}
	msg := &nats.Msg{Subject: subj, Data: b, Header: nats.Header{}}
	msg.Header.Set(HeaderType, string(ev.Type))
	ack, err := p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(ev.ID), jetstream.WithExpectStream(EventsStream))
	if err != nil {
		return nil, fmt.Errorf("events: publish %s: %w", ev.ID, err)
	}
	return ack, nil
}

// HeaderType carries the event type (or "job") on each message, so tools can filter without
// decoding the body.
const HeaderType = "Sindri-Type"

// PublishJob validates j and publishes it on sindri.jobs.<provider> with Nats-Msg-Id =
// idempotencyKey (see jobs.IdempotencyKey). It reports duplicate = true when SINDRI_JOBS
// already held a job with that key inside the duplicate window; nothing new is queued then.
// Errors: j's validation errors (jobs.ErrInvalid, jobs.ErrUnknownVersion), an empty key, or
// the publish error, wrapped.
func (p *Publisher) PublishJob(ctx context.Context, j *jobs.Job, idempotencyKey string) (duplicate bool, err error) {
	if idempotencyKey == "" {
		return false, fmt.Errorf("events: publish job %s: idempotency key is empty", j.ID)
	}
	b, err := j.Encode()
	if err != nil {
		return false, err
	}
	subj, err := JobsSubject(j.Provider)
	if err != nil {
		return false, err
	}
	msg := &nats.Msg{Subject: subj, Data: b, Header: nats.Header{}}
	msg.Header.Set(HeaderType, "job")
	ack, err := p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(idempotencyKey), jetstream.WithExpectStream(JobsStream))
	if err != nil {
		return false, fmt.Errorf("events: publish job %s: %w", j.ID, err)
	}
	return ack.Duplicate, nil
}

// Emitter numbers and publishes the events of one job. It is safe for concurrent use; seq
// numbers are assigned in call order.
type Emitter struct {
	pub    *Publisher
	jobID  string
	source string
	now    func() time.Time

	mu  sync.Mutex
	seq uint64
}

// NewEmitter returns an Emitter for job jobID whose next event is lastSeq+1. Pass 0 for a
// fresh job, or LastSeq's result when a redelivered job resumes. source names the emitter
// (CloudEvents source). Errors: ErrBadSubject for a bad job id.
func NewEmitter(pub *Publisher, jobID, source string, lastSeq uint64) (*Emitter, error) {
	if _, err := EventsSubject(jobID); err != nil {
		return nil, err
	}
	if source == "" {
		return nil, fmt.Errorf("events: emitter for %s: source is empty: %w", jobID, ErrMalformedEvent)
	}
	return &Emitter{pub: pub, jobID: jobID, source: source, now: time.Now, seq: lastSeq}, nil
}

// Emit wraps data in the job's next envelope and publishes it. On a publish error the sequence
// number is not consumed, so a retry of Emit reuses it (and its Nats-Msg-Id).
func (e *Emitter) Emit(ctx context.Context, data Data) (*Envelope, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ev, err := NewEnvelope(e.jobID, e.seq+1, e.source, e.now(), data)
	if err != nil {
		return nil, err
	}
	if err := e.pub.Publish(ctx, ev); err != nil {
		return nil, err
	}
	e.seq++
	return ev, nil
}

// Seq returns the number of the last event emitted (0 before the first).
func (e *Emitter) Seq() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.seq
}

// StreamGetter is the part of jetstream.JetStream that LastSeq needs.
type StreamGetter interface {
	Stream(ctx context.Context, name string) (jetstream.Stream, error)
}

// LastSeq returns the seq of the last event stored for job jobID, or 0 when there is none.
// A worker that receives a redelivered job passes it to NewEmitter, so that its events follow
// the earlier attempt's instead of colliding with their Nats-Msg-Ids. Errors: ErrBadSubject,
// the stream lookup error, or ErrMalformedEvent when the last stored event has no seq.
func LastSeq(ctx context.Context, js StreamGetter, jobID string) (uint64, error) {
	subj, err := EventsSubject(jobID)
	if err != nil {
		return 0, err
	}
	st, err := js.Stream(ctx, EventsStream)
	if err != nil {
		return 0, fmt.Errorf("events: last seq of %s: %w", jobID, err)
	}
	m, err := st.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("events: last seq of %s: %w", jobID, err)
	}
	// Only seq is read, so that an event of a type this code does not know (written by a
	// newer executor) does not stop the numbering.
	var head struct {
		Seq uint64 `json:"seq"`
	}
	if err := json.Unmarshal(m.Data, &head); err != nil || head.Seq == 0 {
		return 0, fmt.Errorf("events: last seq of %s: stored event has no seq: %w", jobID, ErrMalformedEvent)
	}
	return head.Seq, nil
}
