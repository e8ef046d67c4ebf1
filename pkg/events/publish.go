package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/jobs"
)

// Publisher publishes jobs and events to JetStream with de-duplication ids. It is safe for
// concurrent use.
type Publisher struct {
	js     jetstream.Publisher
	signer nkeys.KeyPair
}

// NewPublisher returns a Publisher over js (a jetstream.JetStream satisfies it).
func NewPublisher(js jetstream.Publisher) *Publisher { return &Publisher{js: js} }

// SignedBy returns a Publisher whose PublishJob signs every job with kp (a user nkey, see
// jobs.Sign) in the jobs.HeaderSigner and jobs.HeaderSignature headers; nil kp publishes
// unsigned jobs.
func (p *Publisher) SignedBy(kp nkeys.KeyPair) *Publisher { return &Publisher{js: p.js, signer: kp} }

// Publish publishes ev on sindri.events.<job-id> with Nats-Msg-Id = ev.ID ("<job-id>-<seq>"),
// so a retried publish of the same event is stored once: a publish that JetStream reports as a
// duplicate counts as success here. Use an Emitter to number a job's events; it tells a
// duplicate of its own event from a number another publisher took. Errors: the envelope's check
// (ErrMalformedEvent, ErrUnknownEventType, ErrBadSubject) or the publish error, wrapped.
func (p *Publisher) Publish(ctx context.Context, ev *Envelope) error {
	_, err := p.publishEvent(ctx, ev)
	return err
}

// publishEvent publishes ev with opts (conditions) and returns JetStream's ack, whose
// Duplicate says that JetStream dropped it as a duplicate of a message with the same id.
func (p *Publisher) publishEvent(ctx context.Context, ev *Envelope, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	subj, err := EventsSubject(ev.Subject)
	if err != nil {
		return nil, err
	}
	b, err := ev.Encode()
	if err != nil {
		return nil, err
	}
	msg := &nats.Msg{Subject: subj, Data: b, Header: nats.Header{HeaderType: []string{string(ev.Type)}}}
	opts = append(opts, jetstream.WithMsgID(ev.ID), jetstream.WithExpectStream(EventsStream))
	ack, err := p.js.PublishMsg(ctx, msg, opts...)
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
	_, duplicate, err = p.PublishJobSeq(ctx, j, idempotencyKey)
	return duplicate, err
}

// PublishJobSeq is PublishJob that also returns the job message's sequence in SINDRI_JOBS (for a
// duplicate, the sequence of the message already stored). An executor that refuses a message
// whose job id it cannot trust (an unverified signature) reports the refusal under
// RefusedID(seq), so a publisher follows that id too.
func (p *Publisher) PublishJobSeq(ctx context.Context, j *jobs.Job, idempotencyKey string) (seq uint64, duplicate bool, err error) {
	if idempotencyKey == "" {
		return 0, false, fmt.Errorf("events: publish job %s: idempotency key is empty", j.ID)
	}
	b, err := j.Encode()
	if err != nil {
		return 0, false, err
	}
	subj, err := JobsSubject(j.Provider)
	if err != nil {
		return 0, false, err
	}
	msg := &nats.Msg{Subject: subj, Data: b, Header: nats.Header{}}
	msg.Header.Set(HeaderType, "job")
	if p.signer != nil {
		signer, sig, err := jobs.Sign(p.signer, subj, b)
		if err != nil {
			return 0, false, fmt.Errorf("events: publish job %s: %w", j.ID, err)
		}
		msg.Header.Set(jobs.HeaderSigner, signer)
		msg.Header.Set(jobs.HeaderSignature, sig)
	}
	ack, err := p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(idempotencyKey), jetstream.WithExpectStream(JobsStream))
	if err != nil {
		return 0, false, fmt.Errorf("events: publish job %s: %w", j.ID, err)
	}
	return ack.Sequence, ack.Duplicate, nil
}

// RefusedID is the id under which an executor reports the refusal of the job message stored at
// seq in SINDRI_JOBS when it cannot use the id the message claims: the message is not a job,
// or its signature was not verified.
func RefusedID(seq uint64) string { return "refused-" + strconv.FormatUint(seq, 10) }

// Emitter numbers and publishes the events of one job. It is safe for concurrent use; seq
// numbers are assigned in call order.
type Emitter struct {
	pub    *Publisher
	jobID  string
	source string
	now    func() time.Time

	mu  sync.Mutex
	seq uint64
	// unsure is the last event whose publish failed: JetStream may have stored it all the
	// same (the ack was lost), so its number may be taken by it.
	unsure *Envelope
	// last is the SINDRI_EVENTS sequence of the job's last stored event (0: none) when
	// lastKnown. While it is known every publish is conditional on it (see Emit).
	last      uint64
	lastKnown bool
}

// NewEmitter returns an Emitter for job jobID whose next event is lastSeq+1. Pass 0 for a
// fresh job, or LastSeq's result when a redelivered job resumes. source names the emitter
// (CloudEvents source). Its publishes are conditional only once one of them was acknowledged
// (see Emit); NewEmitterAfter makes the first one conditional too. Errors: ErrBadSubject for a
// bad job id.
func NewEmitter(pub *Publisher, jobID, source string, lastSeq uint64) (*Emitter, error) {
	if _, err := EventsSubject(jobID); err != nil {
		return nil, err
	}
	if source == "" {
		return nil, fmt.Errorf("events: emitter for %s: source is empty: %w", jobID, ErrMalformedEvent)
	}
	return &Emitter{pub: pub, jobID: jobID, source: source, now: time.Now, seq: lastSeq}, nil
}

// NewEmitterAfter is NewEmitter for a caller that read the job's last stored event: lastSeq
// is its seq and lastStream its sequence in SINDRI_EVENTS (both 0 when the job has no
// events). The first publish is then conditional on that event still being the job's last
// one, so an event another publisher stored since the read is detected (a *SeqTakenError)
// however old it is. A first delivery can skip the read altogether: NewEmitterAfter(…, 0, 0)
// publishes its first event only if the job has no events yet.
func NewEmitterAfter(pub *Publisher, jobID, source string, lastSeq, lastStream uint64) (*Emitter, error) {
	e, err := NewEmitter(pub, jobID, source, lastSeq)
	if err != nil {
		return nil, err
	}
	e.last, e.lastKnown = lastStream, true
	return e, nil
}

// Emit wraps data in the job's next envelope and publishes it.
//
// While the Emitter knows the stream sequence of the job's last stored event (from the ack of
// its own last publish, or from NewEmitterAfter), the publish is conditional on it
// (Nats-Expected-Last-Subject-Sequence): JetStream stores the event only if no other event of
// the job was stored since, a check that, unlike the Nats-Msg-Id duplicate window, does not
// expire. After a failed publish the position is unknown until the next acknowledged one.
//
// On a publish error the sequence number is not consumed: a retry of Emit with equal data
// re-sends the same envelope (same id and time, unconditionally), so it is stored once whether
// or not the failed publish reached the stream. When the next Emit carries other data and
// JetStream says the number is taken, the failed event was stored after all: it keeps its
// number and data goes out as the one after it.
//
// When JetStream reports the next number as taken by an event this Emitter never sent, or
// refuses the condition because another event of the job was stored, another publisher
// (another delivery of the same job) is numbering the job's events: Emit publishes nothing,
// returns a *SeqTakenError (errors.Is(err, ErrSeqTaken)) and keeps its count, and the caller
// must stop speaking for the job. Other errors: NewEnvelope's, or the publish error.
func (e *Emitter) Emit(ctx context.Context, data Data) (*Envelope, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if u := e.unsure; u != nil && u.Seq == e.seq+1 && sameData(u.Data, data) {
		ack, err := e.pub.publishEvent(ctx, u)
		if err != nil {
			return nil, err
		}
		e.seq, e.unsure = u.Seq, nil // stored now, by this publish or by the failed one
		e.stored(ack)
		return u, nil
	}
	for {
		ev, err := NewEnvelope(e.jobID, e.seq+1, e.source, e.now(), data)
		if err != nil {
			return nil, err
		}
		ack, err := e.publishConditional(ctx, ev)
		if wrongLastSeq(err) {
			return nil, &SeqTakenError{JobID: e.jobID, Seq: ev.Seq}
		}
		if err != nil {
			e.unsure, e.lastKnown = ev, false
			return nil, err
		}
		if !ack.Duplicate {
			e.seq, e.unsure = ev.Seq, nil
			e.stored(ack)
			return ev, nil
		}
		if e.unsure == nil || e.unsure.Seq != ev.Seq {
			return nil, &SeqTakenError{JobID: e.jobID, Seq: ev.Seq}
		}
		// The event whose publish failed was stored: it keeps its number.
		e.seq, e.unsure = ev.Seq, nil
		e.stored(ack)
	}
}

// stored notes the stream position an ack reports. A duplicate's ack names the earlier
// message, which need not be the job's last: the position is unknown then.
func (e *Emitter) stored(ack *jetstream.PubAck) {
	e.last, e.lastKnown = ack.Sequence, !ack.Duplicate
}

// casBusyRetries bounds the retries of a conditional publish that a clustered stream refuses
// while an earlier message of the same subject is still being applied (the ack of the
// previous event can reach the client before its bookkeeping on the leader is cleared).
const casBusyRetries = 6

// publishConditional publishes ev, conditional on the job's last stored event when e knows it.
func (e *Emitter) publishConditional(ctx context.Context, ev *Envelope) (*jetstream.PubAck, error) {
	if !e.lastKnown {
		return e.pub.publishEvent(ctx, ev)
	}
	for try := 0; ; try++ {
		ack, err := e.pub.publishEvent(ctx, ev, jetstream.WithExpectLastSequencePerSubject(e.last))
		if try == casBusyRetries || !conditionBusy(err) {
			return ack, err
		}
		t := time.NewTimer(time.Millisecond << try)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

// wrongLastSeq reports whether err is JetStream refusing a conditional publish because the
// subject's last message is another one.
func wrongLastSeq(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// conditionBusy reports whether err is a clustered stream refusing a conditional publish
// without saying what the subject's last message is (another message of the subject is being
// applied).
func conditionBusy(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

// Conditional reports whether the next Emit is conditional on the job's last stored event,
// that is whether an event another publisher stored since the Emitter's position was known
// would make it fail with ErrSeqTaken.
func (e *Emitter) Conditional() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastKnown && e.unsure == nil
}

// sameData reports whether a and b encode to the same JSON.
func sameData(a, b Data) bool {
	if a == nil || b == nil || a.EventType() != b.EventType() {
		return false
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
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
