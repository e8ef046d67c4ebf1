package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// CloudEvents constants of the envelope.
const (
	SpecVersion     = "1.0"
	DataContentType = "application/json"
)

// Envelope is one event: CloudEvents 1.0 attributes in JSON structured mode, the "seq"
// extension attribute, and typed Data.
//
// ID is "<job-id>-<seq>", so the same event re-published after a lost ack (or after a
// redelivered job resumed its numbering) carries the same id and Nats-Msg-Id.
type Envelope struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            Type      `json:"type"`
	Subject         string    `json:"subject"` // the job id
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	// Seq is the event's position in its job's stream, 1..n without gaps per publisher.
	Seq  uint64 `json:"seq"`
	Data Data   `json:"data"`
}

// NewEnvelope returns the envelope of event number seq (>= 1) of job jobID with data, from
// source (a URI-reference naming the emitter, e.g. "urn:sindri:executor:host-1"), stamped at.
// Errors: ErrBadSubject for a bad job id; ErrMalformedEvent for seq 0, empty source or nil data.
func NewEnvelope(jobID string, seq uint64, source string, at time.Time, data Data) (*Envelope, error) {
	if _, err := EventsSubject(jobID); err != nil {
		return nil, err
	}
	switch {
	case seq == 0:
		return nil, fmt.Errorf("events: seq must start at 1: %w", ErrMalformedEvent)
	case source == "":
		return nil, fmt.Errorf("events: source is empty: %w", ErrMalformedEvent)
	case data == nil:
		return nil, fmt.Errorf("events: data is nil: %w", ErrMalformedEvent)
	}
	return &Envelope{
		SpecVersion:     SpecVersion,
		ID:              EventID(jobID, seq),
		Source:          source,
		Type:            data.EventType(),
		Subject:         jobID,
		Time:            at.UTC(),
		DataContentType: DataContentType,
		Seq:             seq,
		Data:            data,
	}, nil
}

// EventID returns the envelope id and Nats-Msg-Id of event seq of job jobID.
func EventID(jobID string, seq uint64) string { return jobID + "-" + strconv.FormatUint(seq, 10) }

// JobID returns the id of the job the event belongs to (its CloudEvents subject).
func (e *Envelope) JobID() string { return e.Subject }

// Encode returns the JSON form of e after checking it (see Decode for the rules).
func (e *Envelope) Encode() ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	return json.Marshal(e)
}

// Decode parses an envelope and its typed data.
//
// Errors: ErrMalformedEvent when b is not JSON, specversion is not "1.0", an attribute is
// missing (id, source, subject, time, seq >= 1), or data does not decode into its type's
// struct; ErrUnknownEventType when type is not one of Types.
func Decode(b []byte) (*Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		if errors.Is(err, ErrMalformedEvent) || errors.Is(err, ErrUnknownEventType) {
			return nil, err
		}
		return nil, fmt.Errorf("events: decode envelope: %w: %w", ErrMalformedEvent, err)
	}
	if err := e.check(); err != nil {
		return nil, err
	}
	return &e, nil
}

// UnmarshalJSON decodes the attributes, then data into the struct for Type.
func (e *Envelope) UnmarshalJSON(b []byte) error {
	type attrs Envelope
	var raw struct {
		attrs
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("events: decode envelope: %w: %w", ErrMalformedEvent, err)
	}
	mk, ok := newData[raw.Type]
	if !ok {
		return fmt.Errorf("events: %w %q", ErrUnknownEventType, raw.Type)
	}
	if len(raw.Data) == 0 || string(raw.Data) == "null" {
		return fmt.Errorf("events: %s event %s has no data: %w", raw.Type, raw.ID, ErrMalformedEvent)
	}
	d := mk()
	if err := json.Unmarshal(raw.Data, d); err != nil {
		return fmt.Errorf("events: decode %s data: %w: %w", raw.Type, ErrMalformedEvent, err)
	}
	*e = Envelope(raw.attrs)
	e.Data = d
	return nil
}

func (e *Envelope) check() error {
	bad := func(what string) error {
		return fmt.Errorf("events: envelope %q: %s: %w", e.ID, what, ErrMalformedEvent)
	}
	switch {
	case e.SpecVersion != SpecVersion:
		return bad("specversion must be " + SpecVersion)
	case e.ID == "":
		return bad("id is empty")
	case e.Source == "":
		return bad("source is empty")
	case e.Subject == "":
		return bad("subject (job id) is empty")
	case e.Time.IsZero():
		return bad("time is not set")
	case e.Seq == 0:
		return bad("seq must be >= 1")
	case e.Data == nil:
		return bad("data is nil")
	}
	if !e.Type.Known() {
		return fmt.Errorf("events: %w %q", ErrUnknownEventType, e.Type)
	}
	if e.Data.EventType() != e.Type {
		return bad(fmt.Sprintf("type %s does not match data of type %s", e.Type, e.Data.EventType()))
	}
	return nil
}
