package rest

import (
	"bytes"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
)

// Redacted replaces a secret value wherever the client reports or records text.
const Redacted = "[REDACTED]"

// Redactor removes secret values from text. It also removes the forms a value takes once
// JSON-, query- or path-encoded, so a secret inside a request body or a query string is found
// too. The zero value and nil redact nothing.
type Redactor struct {
	r *strings.Replacer
}

// NewRedactor returns a Redactor for the given secret values; empty values are ignored.
func NewRedactor(secrets ...string) *Redactor {
	seen := map[string]bool{}
	var forms []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, f := range encodedForms(s) {
			if f != "" && !seen[f] {
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	if len(forms) == 0 {
		return &Redactor{}
	}
	// strings.Replacer prefers earlier pairs at the same position: longest first, so a
	// secret that contains another is removed whole.
	sort.Slice(forms, func(i, j int) bool {
		if len(forms[i]) != len(forms[j]) {
			return len(forms[i]) > len(forms[j])
		}
		return forms[i] < forms[j]
	})
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// String returns s with every secret value replaced by Redacted.
func (r *Redactor) String(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// encodedForms lists s as it may appear in a body, a query or a path.
func encodedForms(s string) []string {
	forms := []string{s, url.QueryEscape(s), url.PathEscape(s)}
	for _, html := range []bool{false, true} {
		if b, err := marshalJSON(s, html); err == nil {
			forms = append(forms, strings.TrimSuffix(strings.TrimPrefix(string(b), `"`), `"`))
		}
	}
	return forms
}

// marshalJSON encodes v without a trailing newline; escapeHTML false keeps bodies readable
// in recordings.
func marshalJSON(v any, escapeHTML bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// redactQuery returns q encoded (keys sorted), with the values of the named parameters
// replaced whole and every secret value removed from the rest.
func redactQuery(q url.Values, secretParams []string, r *Redactor) string {
	if len(q) == 0 {
		return ""
	}
	safe := make(url.Values, len(q))
	for k, vs := range q {
		if containsFold(secretParams, k) {
			safe[k] = []string{Redacted}
			continue
		}
		safe[k] = vs
	}
	// The placeholder is shown as written, not percent-encoded, so lines stay readable.
	return r.String(strings.ReplaceAll(safe.Encode(), url.QueryEscape(Redacted), Redacted))
}

// safeURL is u without user info and with its query redacted: the form errors and logs carry.
func safeURL(u *url.URL, secretParams []string, r *Redactor) string {
	v := *u
	v.User = nil
	v.RawQuery = redactQuery(u.Query(), secretParams, r)
	return r.String(v.String())
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
