package jobs

import (
	"errors"
	"fmt"
)

// Sentinel errors returned by Decode, Validate, New and EnvName. Test with errors.Is.
var (
	// ErrMalformed: the bytes are not a JSON job object (syntax error or wrong field types).
	ErrMalformed = errors.New("malformed job")
	// ErrUnknownVersion: the job's "v" is not WireVersion. It is distinct from ErrInvalid so the
	// executor can refuse it with a clear event instead of retrying.
	ErrUnknownVersion = errors.New("unknown job wire version")
	// ErrInvalid: the job decoded but a field breaks the v1 contract; the wrapped *FieldError
	// values (joined) name the fields.
	ErrInvalid = errors.New("invalid job")
	// ErrBadTemplate: an environment name template is malformed or names an unknown or
	// unavailable placeholder.
	ErrBadTemplate = errors.New("bad environment name template")
	// ErrBadName: the inputs of EnvName cannot produce a valid environment name.
	ErrBadName = errors.New("bad environment name input")
)

// FieldError is one field that breaks the job contract. It matches ErrInvalid with errors.Is.
type FieldError struct {
	// Field is the JSON field name, e.g. "env".
	Field string
	// Problem says what is wrong, without echoing secret material.
	Problem string
}

// Error implements error.
func (e *FieldError) Error() string { return fmt.Sprintf("job field %q: %s", e.Field, e.Problem) }

// Is makes errors.Is(err, ErrInvalid) true for every FieldError.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// VersionError reports a job whose wire version this code does not speak. It matches
// ErrUnknownVersion with errors.Is.
type VersionError struct {
	// Got is the version found ("v"); 0 when the field is missing.
	Got int
	// ID is the job id when it could be read, so a refusal event can still name the job.
	ID string
}

// Error implements error.
func (e *VersionError) Error() string {
	return fmt.Sprintf("job wire version %d is not supported (this executor speaks v%d)", e.Got, WireVersion)
}

// Is makes errors.Is(err, ErrUnknownVersion) true.
func (e *VersionError) Is(target error) bool { return target == ErrUnknownVersion }

// TemplateError reports a problem in an environment name template. It matches ErrBadTemplate.
type TemplateError struct {
	// Template is the template as given.
	Template string
	// Pos is the byte offset of the problem in Template.
	Pos int
	// Problem says what is wrong, e.g. `unknown placeholder "{foo}"; valid: ...`.
	Problem string
}

// Error implements error.
func (e *TemplateError) Error() string {
	return fmt.Sprintf("environment name template %q at offset %d: %s", e.Template, e.Pos, e.Problem)
}

// Is makes errors.Is(err, ErrBadTemplate) true.
func (e *TemplateError) Is(target error) bool { return target == ErrBadTemplate }
