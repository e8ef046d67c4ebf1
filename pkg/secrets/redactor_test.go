package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestRedactorForms(t *testing.T) {
	t.Parallel()
	pem := "-----BEGIN KEY-----\nMIIEpAIBAAKCAQEA1\r\nZZZZline2secret\n-----END KEY-----"
	r := NewRedactor(New(canary), New("abc"), New(""), New(pem))
	jsonForm, _ := json.Marshal(canary)
	tests := []struct {
		name, in string
		leaks    []string
	}{
		{"raw", "token=" + canary + " done", []string{canary}},
		{"twice", canary + canary, []string{canary}},
		{"json escaped", `{"t":` + string(jsonForm) + `}`, []string{canary, string(jsonForm[1 : len(jsonForm)-1])}},
		{"json without html escaping", `{"t":"` + strings.ReplaceAll(canary, `"`, `\"`) + `"}`, []string{canary}},
		{"base64 std", "Basic " + base64.StdEncoding.EncodeToString([]byte(canary)), []string{base64.StdEncoding.EncodeToString([]byte(canary))}},
		{"base64 url", base64.URLEncoding.EncodeToString([]byte(canary)), []string{base64.URLEncoding.EncodeToString([]byte(canary))}},
		{"base64 unpadded", base64.RawStdEncoding.EncodeToString([]byte(canary)), []string{base64.RawStdEncoding.EncodeToString([]byte(canary))}},
		{"url query escaped", "https://x/?t=" + url.QueryEscape(canary), []string{url.QueryEscape(canary)}},
		{"url path escaped", "https://x/" + url.PathEscape(canary), []string{url.PathEscape(canary)}},
		{"multi-line value whole", "key:\n" + pem + "\n", []string{"MIIEpAIBAAKCAQEA1", "ZZZZline2secret"}},
		{"one line of a multi-line value", "line: ZZZZline2secret\n", []string{"ZZZZline2secret"}},
	}
	for _, off := range []string{"u:", "us:", "use:"} {
		// A secret inside a longer base64 text (basic auth) at each byte alignment.
		enc := base64.StdEncoding.EncodeToString([]byte(off + canary))
		tests = append(tests, struct {
			name, in string
			leaks    []string
		}{"base64 embedded after " + off, "Authorization: Basic " + enc, []string{enc, enc[len(enc)-20:]}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := r.Redact(tc.in)
			if !strings.Contains(got, Redacted) {
				t.Errorf("nothing redacted (len %d)", len(got))
			}
			mustNotLeak(t, "redacted", got, tc.leaks...)
		})
	}
	if got := r.Redact("abc and abcdef stay"); got != "abc and abcdef stay" {
		t.Errorf("short value redacted: %q", got)
	}
	var nilR *Redactor
	if got := nilR.Redact("x" + canary); got != "x"+canary {
		t.Error("nil Redactor changed its input")
	}
	if got := NewRedactor().Redact("plain"); got != "plain" {
		t.Errorf("empty Redactor = %q", got)
	}
}

func TestRedactorPrefersTheLongestValue(t *testing.T) {
	t.Parallel()
	r := NewRedactor(New("secret"), New("secret-and-more"))
	if got, want := r.Redact("x secret-and-more y secret z"), "x [redacted] y [redacted] z"; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
}

func TestRedactingWriterSplitsAcrossWrites(t *testing.T) {
	t.Parallel()
	r := NewRedactor(New(canary), New("abcdef"), New("cdefXY"), New("a\nmulti-line\nvalue"))
	var buf bytes.Buffer
	w := r.Writer(&buf)
	in := "start " + canary + " middle abcdefXY " + "a\nmulti-line\nvalue" + " end " + canary
	for i := range len(in) { // one byte per Write: the worst split
		if n, err := w.Write([]byte{in[i]}); n != 1 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), r.Redact(in); got != want {
		t.Errorf("streamed = %q, want %q", r.Redact(got), want)
	}
	mustNotLeak(t, "stream", buf.String(), canary, "abcdef", "multi-line")
}

func TestRedactingWriterRandomSplitsMatchRedact(t *testing.T) {
	t.Parallel()
	values := []string{canary, "abcdef", "cdefXY", "abab", "ababab-x", "line1\nline2"}
	vs := make([]Value, len(values))
	for i, v := range values {
		vs[i] = New(v)
	}
	r := NewRedactor(vs...)
	rng := rand.New(rand.NewPCG(1, 2)) // fixed seed: the test is deterministic
	pieces := append([]string{"a", "b", "ab", "c", " ", "\n", "XY", "cdef", "line1", "\nline2", "abc", "x"}, values...)
	for iter := range 500 {
		var sb strings.Builder
		for range rng.IntN(40) {
			sb.WriteString(pieces[rng.IntN(len(pieces))])
		}
		in := sb.String()
		var out bytes.Buffer
		w := r.Writer(&out)
		for rest := in; rest != ""; {
			n := 1 + rng.IntN(len(rest))
			if _, err := w.Write([]byte(rest[:n])); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if got, want := out.String(), r.Redact(in); got != want {
			t.Fatalf("iteration %d: streamed output differs from Redact (input len %d)", iter, len(in))
		}
	}
}

func TestRedactingWriterPassesPlainTextThrough(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := NewRedactor(New(canary)).Writer(&buf)
	if _, err := w.Write([]byte("no secret here\n")); err != nil {
		t.Fatal(err)
	}
	// Nothing that could start a secret is held back, so a log line is visible at once.
	if got := buf.String(); got != "no secret here\n" {
		t.Errorf("after Write: %q", got)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestRedactingWriterReportsWriteErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	w := NewRedactor(New(canary)).Writer(failWriter{boom})
	if _, err := w.Write([]byte("line\n")); !errors.Is(err, boom) {
		t.Errorf("Write err = %v, want boom", err)
	}
	if _, err := w.Write([]byte("again\n")); !errors.Is(err, boom) {
		t.Errorf("second Write err = %v, want boom", err)
	}
	if err := w.Close(); !errors.Is(err, boom) {
		t.Errorf("Close err = %v, want boom", err)
	}
}

func TestRedactingWriterConcurrentWriters(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := NewRedactor(New(canary)).Writer(&buf)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				_, _ = w.Write([]byte("x " + canary + "\n"))
			}
		})
	}
	wg.Wait()
	_ = w.Close()
	mustNotLeak(t, "concurrent", buf.String())
	if got := strings.Count(buf.String(), Redacted); got != 400 {
		t.Errorf("%d redactions, want 400", got)
	}
}

func FuzzRedactingWriter(f *testing.F) {
	f.Add("abc"+canary+"def", 3)
	f.Add("abcdefXY", 1)
	f.Add("ababab-x abab", 2)
	r := NewRedactor(New(canary), New("abcdef"), New("cdefXY"), New("abab"), New("ababab-x"))
	f.Fuzz(func(t *testing.T, in string, step int) {
		if step <= 0 {
			step = 1
		}
		var out bytes.Buffer
		w := r.Writer(&out)
		for rest := in; rest != ""; {
			n := min(step, len(rest))
			_, _ = w.Write([]byte(rest[:n]))
			rest = rest[n:]
		}
		_ = w.Close()
		if out.String() != r.Redact(in) {
			t.Errorf("streamed output differs from Redact")
		}
	})
}

func BenchmarkRedact(b *testing.B) {
	vs := make([]Value, 30)
	for i := range vs {
		vs[i] = New(strings.Repeat(string(rune('a'+i%26)), 8) + "-secret-value")
	}
	r := NewRedactor(vs...)
	line := strings.Repeat("ordinary log output without secrets ", 4) + "\n"
	for b.Loop() {
		_ = r.Redact(line)
	}
}

// A stream of overlapping near-matches written byte by byte must not pile up in the writer:
// the held-back tail stays shorter than the longest needle (this was once unbounded, and
// quadratic in time).
func TestRedactingWriterHoldsBackLittle(t *testing.T) {
	t.Parallel()
	r := NewRedactor(New(canary), New("abcdef"), New("cdefXY"), New("abab"), New("ababab-x"))
	var out bytes.Buffer
	w := r.Writer(&out)
	in := strings.Repeat("abababab", 4096) + "ababab-x tail"
	for i := 0; i < len(in); i++ {
		if _, err := w.Write([]byte{in[i]}); err != nil {
			t.Fatal(err)
		}
		if len(w.buf) >= r.maxLen {
			t.Fatalf("after %d bytes the writer holds back %d bytes (longest needle %d)", i+1, len(w.buf), r.maxLen)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != r.Redact(in) {
		t.Error("streamed output differs from Redact")
	}
}
