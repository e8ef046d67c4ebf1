package executor

import (
	"encoding/json"

	"github.com/sindri/deploy/v3/pkg/events"
)

func (d *delivery) redact(s string) string { return d.red.Redact(s) }

// redactErr returns err with its text redacted (errors.Is/As still see the original).
func (d *delivery) redactErr(err error) error {
	if err == nil || d.red == nil {
		return err
	}
	if _, ok := err.(*redactedError); ok {
		return err
	}
	return &redactedError{msg: d.red.Redact(err.Error()), err: err}
}

// redactData redacts the free-text fields of an event that can quote a provider's words.
func (d *delivery) redactData(data events.Data) events.Data {
	if d.red == nil {
		return data
	}
	switch v := data.(type) {
	case *events.Failed:
		c := *v
		c.Message = d.redact(c.Message)
		c.LastLines = make([]string, len(v.LastLines))
		for i, l := range v.LastLines {
			c.LastLines[i] = d.redact(l)
		}
		return &c
	case *events.Retrying:
		c := *v
		c.Message = d.redact(c.Message)
		return &c
	case *events.Deadlettered:
		c := *v
		c.Message = d.redact(c.Message)
		return &c
	case *events.Succeeded:
		return d.redactSucceeded(v)
	}
	return data
}

// redactSucceeded redacts a succeeded event's payloads (deployment, status, plan, images):
// a provider may quote a secret in a plan's calls, a connection or a detail. The payload is
// redacted in its JSON form, where the redactor also knows the JSON-escaped forms of each
// value, and read back; one that cannot be read back is sent without its payloads.
func (d *delivery) redactSucceeded(v *events.Succeeded) events.Data {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	red := d.redact(string(b))
	if red == string(b) {
		return v
	}
	var c events.Succeeded
	if err := json.Unmarshal([]byte(red), &c); err != nil {
		d.log.Warn().Msg("succeeded payload held a secret and could not be redacted in place; sent without payloads")
		c = events.Succeeded{Kind: v.Kind, Env: v.Env, Provider: v.Provider, Generation: v.Generation, DurationMS: v.DurationMS}
	}
	return &c
}

// redactedError is a provider error whose text has the job's secret values redacted; errors.Is
// and errors.As still see the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Unwrap() error { return e.err }
