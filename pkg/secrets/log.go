package secrets

import "github.com/rs/zerolog"

// MarshalZerologObject implements zerolog.LogObjectMarshaler: name, source, origin and, for file
// secrets, mount path and permissions. The value is logged as [Redacted].
//
// Value itself deliberately does not implement LogObjectMarshaler: zerolog's Interface and Any
// would then render it as an object; without it they use MarshalJSON and print "[redacted]".
func (r Resolved) MarshalZerologObject(e *zerolog.Event) {
	e.Str("name", r.Name).Str("source", string(r.Source)).Str("origin", r.Origin)
	if r.MountPath != "" {
		e.Str("mount_path", r.MountPath).Str("permissions", r.Permissions)
	}
	e.Str("value", Redacted)
}

// MarshalZerologObject implements zerolog.LogObjectMarshaler.
func (w Warning) MarshalZerologObject(e *zerolog.Event) {
	e.Str("secret", w.Secret).Str("message", w.Message)
	if w.Err != nil {
		e.Str("error", w.Err.Error())
	}
}
