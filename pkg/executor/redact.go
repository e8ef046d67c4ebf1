package executor

import (
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
	}
	return data
}

// redactedError is a provider error whose text has the job's secret values redacted; errors.Is
// and errors.As still see the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Unwrap() error { return e.err }
