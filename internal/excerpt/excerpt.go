// Package excerpt shortens values that error messages quote. An error about a value read from
// a file or the environment must let the user find the value without reproducing it: a
// malformed config may be some other file's content, and a value may be a credential.
package excerpt

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxRunes is the longest excerpt of a value, in runes, before the ellipsis.
const MaxRunes = 24

// MaxPathRunes is the longest excerpt of a path as written in a config: long enough to find
// the entry, short enough that a path cannot carry a file's worth of text into a log.
const MaxPathRunes = 128

// Redacted replaces a value that looks like a credential.
const Redacted = "[redacted]"

// credentialPrefixes start well-known token formats (GitHub, GitLab, Slack, AWS, OpenAI-style
// keys, nkey seeds, PEM blocks). A value that starts with one, or holds one after a separator,
// is not quoted at all.
var credentialPrefixes = []string{
	"ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "xoxa-",
	"AKIA", "ASIA", "sk-", "SU", "SA", "SX", "-----BEGIN",
}

// String returns s cut to MaxRunes runes (with "…" and the full length when cut), with line
// breaks and other control characters escaped, or Redacted when s looks like a credential.
func String(s string) string { return StringN(s, MaxRunes) }

// Quote is String in double quotes; a redacted value is not quoted.
func Quote(s string) string { return QuoteN(s, MaxRunes) }

// Path is QuoteN(s, MaxPathRunes), for a path as the user wrote it.
func Path(s string) string { return QuoteN(s, MaxPathRunes) }

// StringN is String with a limit of max runes.
func StringN(s string, max int) string {
	if looksSecret(s) {
		return Redacted
	}
	cut := s
	if utf8.RuneCountInString(s) > max {
		i, n := 0, 0
		for i < len(s) && n < max {
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
			n++
		}
		cut = s[:i]
	}
	q := strconv.Quote(cut)
	q = q[1 : len(q)-1]
	if len(cut) < len(s) {
		q += "… (" + strconv.Itoa(len(s)) + " bytes)"
	}
	return q
}

// QuoteN is StringN in double quotes; a redacted value is not quoted.
func QuoteN(s string, max int) string {
	e := StringN(s, max)
	if e == Redacted {
		return e
	}
	if i := strings.Index(e, "… ("); i >= 0 {
		return `"` + e[:i] + `…"` + e[i+len("…"):]
	}
	return `"` + e + `"`
}

func looksSecret(s string) bool {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '=' || r == ':' || r == '"' || r == '\'' || r == '/' || r == '@'
	}) {
		for _, p := range credentialPrefixes {
			if strings.HasPrefix(f, p) && isTokenBody(f[len(p):], p) {
				return true
			}
		}
	}
	return false
}

// isTokenBody reports whether rest, what follows a credential prefix, is long enough and dense
// enough to be a token rather than a word ("SAMPLE", "sk-fr").
func isTokenBody(rest, prefix string) bool {
	if prefix == "-----BEGIN" {
		return true
	}
	min := 16
	if len(prefix) == 2 { // nkey seeds: S + type letter + 56 base32 characters
		min = 50
	}
	if len(rest) < min {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
