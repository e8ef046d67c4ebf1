package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// MinRedactLength is the shortest value a Redactor replaces. Shorter values would turn ordinary
// words into [redacted] everywhere; Resolve warns about them.
const MinRedactLength = 4

// minEncodedLength is the shortest base64 fragment of a value embedded at an odd offset that
// is still replaced; shorter fragments match too much unrelated text.
const minEncodedLength = 6

// Redactor replaces secret values in text with [Redacted]. Besides each value it replaces the
// value's JSON-escaped forms, its URL-escaped forms, its standard and URL-safe base64 encodings
// (alone, or as part of a longer base64 text such as a basic-auth header), and, for multi-line
// values such as PEM keys, each line. Values shorter than MinRedactLength are ignored.
//
// A Redactor is immutable and safe for concurrent use. The nil *Redactor redacts nothing.
type Redactor struct {
	needles [][]byte // longest first
	first   [256]bool
	rep     *strings.Replacer
	maxLen  int
}

// NewRedactor returns a Redactor for values.
func NewRedactor(values ...Value) *Redactor {
	set := map[string]bool{}
	add := func(s string) {
		if len(s) >= MinRedactLength {
			set[s] = true
		}
	}
	for _, v := range values {
		s := v.Reveal()
		if len(s) < MinRedactLength {
			continue
		}
		forms := []string{s}
		if strings.ContainsAny(s, "\r\n") {
			for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
				forms = append(forms, strings.TrimSpace(line))
			}
		}
		for _, f := range forms {
			add(f)
			add(jsonEscape(f, true))
			add(jsonEscape(f, false))
			add(url.QueryEscape(f))
			add(url.PathEscape(f))
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
				add(enc.EncodeToString([]byte(f)))
				for off := range 3 {
					if frag := base64Fragment(enc, f, off); len(frag) >= minEncodedLength {
						add(frag)
					}
				}
			}
		}
	}
	r := &Redactor{}
	if len(set) == 0 {
		return r
	}
	needles := make([]string, 0, len(set))
	for s := range set {
		needles = append(needles, s)
	}
	// Longest first: at one position strings.Replacer takes the first old string in argument
	// order that matches, so a value wins over any of its own prefixes.
	slices.SortFunc(needles, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	args := make([]string, 0, 2*len(needles))
	for _, s := range needles {
		args = append(args, s, Redacted)
		r.needles = append(r.needles, []byte(s))
		r.first[s[0]] = true
	}
	r.rep = strings.NewReplacer(args...)
	r.maxLen = len(needles[0])
	return r
}

// jsonEscape returns s as it appears inside a JSON string.
func jsonEscape(s string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// base64Fragment returns the characters of the base64 encoding of s that do not depend on its
// neighbours when s starts off bytes into a longer encoded text.
func base64Fragment(enc *base64.Encoding, s string, off int) string {
	raw := enc.WithPadding(base64.NoPadding)
	full := raw.EncodeToString(append(make([]byte, off), s...))
	start := (8*off + 5) / 6
	end := 8 * (off + len(s)) / 6
	if end <= start || end > len(full) {
		return ""
	}
	return full[start:end]
}

// Redact returns s with every secret form replaced by [Redacted].
func (r *Redactor) Redact(s string) string {
	if r == nil || r.rep == nil {
		return s
	}
	return r.rep.Replace(s)
}

// Writer returns a writer that redacts what it passes to w. It holds back only a tail that
// could be the start of a secret, so a secret split across Write calls is still caught; call
// Flush or Close at the end of the stream to write that tail.
func (r *Redactor) Writer(w io.Writer) *RedactingWriter {
	return &RedactingWriter{r: r, w: w}
}

// RedactingWriter is the io.WriteCloser returned by Redactor.Writer. It is safe for
// concurrent use. Close flushes but does not close the underlying writer.
type RedactingWriter struct {
	mu  sync.Mutex
	r   *Redactor
	w   io.Writer
	buf []byte
	err error
}

// Write implements io.Writer. It reports len(p) on success; the first error of the underlying
// writer is returned then and by every later call.
func (w *RedactingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	w.buf = append(w.buf, p...)
	k := w.r.safeCut(w.buf)
	if k == 0 {
		return len(p), nil
	}
	if _, err := io.WriteString(w.w, w.r.Redact(string(w.buf[:k]))); err != nil {
		w.err = err
		return 0, err
	}
	w.buf = append(w.buf[:0], w.buf[k:]...)
	return len(p), nil
}

// Flush writes the held-back tail, redacted.
func (w *RedactingWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := io.WriteString(w.w, w.r.Redact(string(w.buf))); err != nil {
		w.err = err
		return err
	}
	w.buf = w.buf[:0]
	return nil
}

// Close implements io.Closer by flushing.
func (w *RedactingWriter) Close() error { return w.Flush() }

// safeCut returns how many leading bytes of b can be redacted and written now. It replays
// Redact's left-to-right scan (at each position the first needle, longest first, that
// matches is replaced and the scan jumps past it) for as long as every needle still fits in
// b or cannot grow into a longer match, so each decision is final; the bytes from the first
// undecided position on are held back.
// The held-back tail is always shorter than the longest needle, so a stream written in tiny
// pieces costs linear time and bounded memory.
func (r *Redactor) safeCut(b []byte) int {
	n := len(b)
	if r == nil || r.maxLen == 0 {
		return n
	}
	i := 0
	for i < n {
		if !r.first[b[i]] {
			i++
			continue
		}
		if r.couldGrow(b[i:]) {
			break // a needle longer than what is buffered may still match here
		}
		step := 1
		for _, nd := range r.needles {
			if bytes.HasPrefix(b[i:], nd) {
				step = len(nd)
				break
			}
		}
		i += step
	}
	return i
}

// couldGrow reports whether t is a proper prefix of some needle: more input could complete it.
func (r *Redactor) couldGrow(t []byte) bool {
	for _, nd := range r.needles {
		if len(nd) > len(t) && bytes.HasPrefix(nd, t) {
			return true
		}
	}
	return false
}
