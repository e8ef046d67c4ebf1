package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/events"
)

// history is what earlier deliveries of a job left in SINDRI_EVENTS.
type history struct {
	lastSeq uint64
	// lastStream is the SINDRI_EVENTS sequence of the job's last event (0: none).
	lastStream uint64
	// attempts is how many times a worker started the provider for this job (Started events).
	attempts int
	// terminal is the type of the terminal event, "" when the job is not finished.
	terminal events.Type
}

// eventHead is the part of a stored event that history needs. It is read instead of the whole
// envelope so that an event this code cannot decode (a type of a newer executor, data that does
// not match its type) neither stops the job nor hides its sequence number.
type eventHead struct {
	seq  uint64
	typ  events.Type
	data json.RawMessage
}

// readHead reads seq, type and data of a stored event. When the body carries no seq, the seq is
// taken from the message id ("<job-id>-<seq>") that the publisher set: that id is what blocks
// the number for the next publish. ok is false when neither gives a seq.
func readHead(jobID string, body []byte, hdr nats.Header) (eventHead, bool) {
	var raw struct {
		Seq  uint64          `json:"seq"`
		Type events.Type     `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal(body, &raw) // a broken body leaves zero values; the header may still help
	h := eventHead{seq: raw.Seq, typ: raw.Type, data: raw.Data}
	if h.seq == 0 && hdr != nil {
		if id, ok := strings.CutPrefix(hdr.Get(jetstream.MsgIDHeader), jobID+"-"); ok {
			h.seq, _ = strconv.ParseUint(id, 10, 64)
		}
	}
	return h, h.seq > 0
}

// attempt returns the attempt number the event's data carries.
func (h eventHead) attempt() (int, bool) {
	var d struct {
		Attempt *int `json:"attempt"`
	}
	if err := json.Unmarshal(h.data, &d); err != nil || d.Attempt == nil {
		return 0, false
	}
	return *d.Attempt, true
}

// terminal reports whether the event ends the job. A later version of a terminal type (a
// "succeeded.v2" written by a newer executor) ends it too: versions change payloads, not what
// the event means.
func (h eventHead) terminal() bool {
	if h.typ.Terminal() {
		return true
	}
	base, _, ok := cutVersion(h.typ)
	if !ok {
		return false
	}
	for _, t := range events.Types {
		if b, _, _ := cutVersion(t); t.Terminal() && b == base {
			return true
		}
	}
	return false
}

// cutVersion splits "dev.sindri.job.succeeded.v1" into its base and "v1".
func cutVersion(t events.Type) (string, string, bool) {
	s := string(t)
	i := strings.LastIndexByte(s, '.')
	if i < 0 || i+2 > len(s) || s[i+1] != 'v' {
		return "", "", false
	}
	if _, err := strconv.Atoi(s[i+2:]); err != nil {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// readHistory returns the history of jobID. The common cases cost one request: no events
// (first delivery), or a last event that says everything (terminal, retrying, started,
// accepted). Otherwise (a worker died mid-run and the last event is a log line, or the last
// event is one this code cannot read) the job's events are read in full.
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
	head, ok := readHead(jobID, m.Data, m.Header)
	if ok {
		h := history{lastSeq: head.seq, lastStream: m.Sequence}
		if head.terminal() {
			h.terminal = head.typ
			return h, nil
		}
		if a, ok := head.attempt(); ok {
			switch head.typ {
			case events.TypeRetrying, events.TypeStarted:
				h.attempts = a
				return h, nil
			case events.TypeAccepted:
				h.attempts = a - 1
				return h, nil
			}
		}
	}
	return e.scanHistory(ctx, jobID, subj, head.seq, m.Sequence)
}

// scanHistory reads every event of the job up to the stream message lastMsg (the job's last
// one when the scan started). lastSeq is the last event's seq as far as it is known (0 when it
// could not be read); the result's lastSeq is never below it, whatever the scan could read.
func (e *Executor) scanHistory(ctx context.Context, jobID, subj string, lastSeq, lastMsg uint64) (history, error) {
	cons, err := e.js.OrderedConsumer(ctx, events.EventsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subj},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return history{}, fmt.Errorf("executor: history of %s: %w", jobID, err)
	}
	h := history{}
	var read uint64 // stream sequence of the last message read
	for read < lastMsg {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return history{}, fmt.Errorf("executor: history of %s: %w", jobID, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			if md, err := m.Metadata(); err == nil {
				read = max(read, md.Sequence.Stream)
			}
			head, ok := readHead(jobID, m.Data(), m.Headers())
			if !ok {
				continue // an event without a number does not change what we know
			}
			h.lastSeq = max(h.lastSeq, head.seq)
			if a, ok := head.attempt(); ok && (head.typ == events.TypeStarted || head.typ == events.TypeRetrying) {
				h.attempts = max(h.attempts, a)
			}
			if head.terminal() {
				h.terminal = head.typ
			}
			if read >= lastMsg {
				break // caught up: do not wait for the rest of the batch
			}
		}
		if n == 0 {
			// Nothing more arrived: the events were trimmed by the stream's limits, or the
			// stream is unreachable. Go on with what was read rather than block the job.
			if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
				return history{}, fmt.Errorf("executor: history of %s: %w", jobID, err)
			}
			break
		}
	}
	h.lastSeq = max(h.lastSeq, lastSeq)
	h.lastStream = lastMsg
	return h, nil
}
