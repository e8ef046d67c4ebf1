package secrets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"
)

func TestValueRevealAndEmptiness(t *testing.T) {
	t.Parallel()
	v := New(canary)
	if got := v.Reveal(); got != canary {
		t.Errorf("Reveal() did not return the content (len got %d, want %d)", len(got), len(canary))
	}
	if v.IsEmpty() || v.Len() != len(canary) {
		t.Errorf("IsEmpty=%v Len=%d, want false %d", v.IsEmpty(), v.Len(), len(canary))
	}
	var zero Value
	if zero.Reveal() != "" || !zero.IsEmpty() || zero.Len() != 0 {
		t.Errorf("zero Value: Reveal=%q IsEmpty=%v Len=%d", zero.Reveal(), zero.IsEmpty(), zero.Len())
	}
	if !New("").IsEmpty() {
		t.Error(`New("").IsEmpty() = false`)
	}
	if !v.Equal(New(canary)) || v.Equal(New(canary+"x")) || v.Equal(zero) {
		t.Error("Equal does not compare contents")
	}
	copyOf := v
	if copyOf.Reveal() != canary {
		t.Error("a copy lost the content")
	}
}

func TestValueFormatsEveryVerbRedacted(t *testing.T) {
	t.Parallel()
	v := New(canary)
	for _, format := range []string{
		"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-30v|", "%08v", "%.3s", "%#q", "%U",
	} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			got := fmt.Sprintf(format, v)
			mustNotLeak(t, format, got)
			if !strings.Contains(got, Redacted) {
				t.Errorf("Sprintf(%q) = %q, want it to contain %s", format, got, Redacted)
			}
		})
	}
	// %p is handled by fmt before any method: it prints the address of the masked content.
	mustNotLeak(t, "%p", fmt.Sprintf("%p", v))
	if got, want := fmt.Sprintf("%q", v), `"[redacted]"`; got != want {
		t.Errorf("%%q = %s, want %s", got, want)
	}
	if got, want := fmt.Sprintf("[%-12s]", v), "[[redacted]  ]"; got != want {
		t.Errorf("%%-12s = %s, want %s", got, want)
	}
	if got := v.String() + v.GoString() + fmt.Sprint(v) + fmt.Sprintln(v); strings.Count(got, Redacted) != 4 {
		t.Errorf("String/GoString/Sprint/Sprintln = %q", got)
	}
	if got, want := fmt.Sprintf("%T", v), "secrets.Value"; got != want {
		t.Errorf("%%T = %s, want %s", got, want)
	}
}

// holder mixes every way a Value can sit inside other data.
type holder struct {
	Exported   Value
	unexported Value
	Ptr        *Value
	Slice      []Value
	Map        map[string]Value
	Nested     struct{ Inner Value }
	Iface      any
	Resolved   Resolved
}

func newHolder() holder {
	v := New(canary)
	h := holder{Exported: v, unexported: v, Ptr: &v, Slice: []Value{v, v}, Map: map[string]Value{"k": v}, Iface: v,
		Resolved: Resolved{Name: "X", Value: v}}
	h.Nested.Inner = v
	return h
}

func TestValueInsideContainersIsRedacted(t *testing.T) {
	t.Parallel()
	h := newHolder()
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for name, arg := range map[string]any{
			"struct": h, "pointer": &h, "slice": []holder{h}, "map": map[string]holder{"a": h},
			"values": h.Slice, "valuemap": h.Map, "resolved": []Resolved{h.Resolved},
		} {
			got := fmt.Sprintf(format, arg)
			mustNotLeak(t, name+" "+format, got)
		}
	}
	// Exported fields go through Format and print the marker.
	if got := fmt.Sprintf("%+v", h); !strings.Contains(got, "Exported:[redacted]") || !strings.Contains(got, "Slice:[[redacted] [redacted]]") {
		t.Errorf("%%+v of holder = %s", got)
	}
}

func TestValueMarshalers(t *testing.T) {
	t.Parallel()
	h := newHolder()
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	mustNotLeak(t, "json", string(js))
	if !strings.Contains(string(js), `"Exported":"[redacted]"`) {
		t.Errorf("json = %s", js)
	}
	txt, _ := New(canary).MarshalText()
	if string(txt) != Redacted {
		t.Errorf("MarshalText = %s", txt)
	}
	y, err := yaml.Marshal(map[string]any{"token": New(canary), "list": []Value{New(canary)}})
	if err != nil {
		t.Fatal(err)
	}
	mustNotLeak(t, "yaml", string(y))
	if !strings.Contains(string(y), "token: '[redacted]'") {
		t.Errorf("yaml = %s", y)
	}
	// Unmarshalling must not turn the marker (or anything) into a secret.
	var back Value
	if err := json.Unmarshal([]byte(`"[redacted]"`), &back); err == nil {
		t.Error("json.Unmarshal into Value succeeded; a logged marker could become a secret")
	}
}

func TestValueSlog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, nil))
	l.Info("msg", "token", New(canary), "holder", newHolder(), slog.Any("v", New(canary)))
	slog.New(slog.NewTextHandler(&buf, nil)).Info("msg", "token", New(canary), "holder", newHolder())
	mustNotLeak(t, "slog", buf.String())
	if !strings.Contains(buf.String(), `"token":"[redacted]"`) {
		t.Errorf("slog json = %s", buf.String())
	}
}

func TestValueZerolog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := zerolog.New(&buf)
	v := New(canary)
	h := newHolder()
	log.Info().Interface("iface", v).Any("any", v).Stringer("stringer", v).Str("str", v.String()).
		Interface("holder", h).Fields(map[string]any{"field": v}).Fields([]any{"kv", v}).
		Object("resolved", h.Resolved).Msg("m")
	log.Error().Err(&ResolutionError{Failures: []*SecretError{{Name: "X", Err: ErrNotFound}}}).Msgf("%v %+v", v, h)
	child := log.With().Interface("ctx", v).Logger()
	child.Info().Msg("ctx")
	out := buf.String()
	mustNotLeak(t, "zerolog", out)
	for _, want := range []string{`"iface":"[redacted]"`, `"any":"[redacted]"`, `"stringer":"[redacted]"`,
		`"field":"[redacted]"`, `"kv":"[redacted]"`, `"resolved":{"name":"X","source":"","origin":"","value":"[redacted]"}`,
		`"ctx":"[redacted]"`} {
		if !strings.Contains(out, want) {
			t.Errorf("zerolog output lacks %s:\n%s", want, out)
		}
	}
}

func TestValueInErrors(t *testing.T) {
	t.Parallel()
	v := New(canary)
	err := fmt.Errorf("wrap: %w", fmt.Errorf("token %v / %s / %+v / %q", v, v, newHolder(), v))
	mustNotLeak(t, "error", err.Error())
	if !errors.Is(&SecretError{Err: ErrNotFound}, ErrNotFound) {
		t.Error("SecretError does not unwrap")
	}
}
