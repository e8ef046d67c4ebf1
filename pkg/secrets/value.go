package secrets

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Redacted is what every rendering of a Value prints instead of its content.
const Redacted = "[redacted]"

// Value holds a secret. Its String, GoString, Format (every verb), MarshalJSON, MarshalText and
// LogValue methods all render [Redacted]; only Reveal returns the content.
//
// The content is kept behind a pointer and XOR-masked with a per-value random pad, so that
// reflection-based printers that bypass the methods above (fmt on an unexported struct field,
// spew-style dumpers) see an address or random bytes, never the text. The zero Value is empty.
// A Value is immutable and safe for concurrent use; copies share the content.
type Value struct {
	b *box
}

type box struct {
	pad    []byte
	masked []byte
}

// New returns a Value holding s.
func New(s string) Value {
	if s == "" {
		return Value{}
	}
	pad := make([]byte, len(s))
	_, _ = rand.Read(pad) // crypto/rand.Read never returns an error (it aborts the program instead)
	masked := make([]byte, len(s))
	for i := range len(s) {
		masked[i] = s[i] ^ pad[i]
	}
	return Value{b: &box{pad: pad, masked: masked}}
}

// Reveal returns the secret content. Call it only where the value is delivered (an env var of
// the environment, a file in it, an API body), never to log or format it.
func (v Value) Reveal() string {
	if v.b == nil {
		return ""
	}
	out := make([]byte, len(v.b.masked))
	for i := range out {
		out[i] = v.b.masked[i] ^ v.b.pad[i]
	}
	return string(out)
}

// IsEmpty reports whether the value is the empty string.
func (v Value) IsEmpty() bool { return v.b == nil || len(v.b.masked) == 0 }

// Len returns the length of the content in bytes.
func (v Value) Len() int {
	if v.b == nil {
		return 0
	}
	return len(v.b.masked)
}

// Equal reports whether v and o hold the same content, in time independent of where they differ.
func (v Value) Equal(o Value) bool {
	return subtle.ConstantTimeCompare([]byte(v.Reveal()), []byte(o.Reveal())) == 1
}

// String implements fmt.Stringer; it returns [Redacted].
func (v Value) String() string { return Redacted }

// GoString implements fmt.GoStringer; it returns [Redacted].
func (v Value) GoString() string { return Redacted }

// Format implements fmt.Formatter: every verb prints [Redacted] (quoted for %q), honouring
// width and the '-' flag so that tables stay aligned.
func (v Value) Format(f fmt.State, verb rune) {
	s := Redacted
	if verb == 'q' {
		s = strconv.Quote(Redacted)
	}
	if w, ok := f.Width(); ok && w > len(s) {
		pad := make([]byte, w-len(s))
		for i := range pad {
			pad[i] = ' '
		}
		if f.Flag('-') {
			s += string(pad)
		} else {
			s = string(pad) + s
		}
	}
	_, _ = f.Write([]byte(s))
}

// MarshalJSON implements json.Marshaler; it returns the JSON string "[redacted]".
func (v Value) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(Redacted)), nil }

// MarshalText implements encoding.TextMarshaler (used by YAML, TOML and map keys); it returns
// [Redacted].
func (v Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue implements slog.LogValuer; it returns [Redacted].
func (v Value) LogValue() slog.Value { return slog.StringValue(Redacted) }

// Value satisfies the providers' view of a secret.
var _ providers.Revealer = Value{}
