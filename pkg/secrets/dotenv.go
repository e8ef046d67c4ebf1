package secrets

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// ParseEnvFile parses .env text: KEY=VALUE lines, blank lines and '#' comments, an optional
// "export " prefix, spaces around '=' ignored, one pair of surrounding single or double quotes
// stripped (no escape processing, no multi-line values), and for unquoted values an inline
// comment that starts with " #". A later line for the same key wins, as in a shell.
//
// name is used only in errors. A malformed line returns an *EnvFileError (wrapping
// ErrMalformedEnvFile) with name:line and a reason, never the line's text.
func ParseEnvFile(name string, r io.Reader) (map[string]string, error) {
	out := make(map[string]string)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			line = strings.TrimSpace(rest)
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, &EnvFileError{File: name, Line: n, Reason: "expected KEY=VALUE (no '=' found)"}
		}
		key = strings.TrimSpace(key)
		if !validEnvKey(key) {
			return nil, &EnvFileError{File: name, Line: n, Reason: "invalid key: must match [A-Za-z_][A-Za-z0-9_]*"}
		}
		v, reason := parseEnvValue(strings.TrimSpace(val))
		if reason != "" {
			return nil, &EnvFileError{File: name, Line: n, Reason: reason}
		}
		out[key] = v
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return nil, &EnvFileError{File: name, Line: n + 1, Reason: "line longer than 1 MiB"}
		}
		return nil, err
	}
	return out, nil
}

// parseEnvValue returns the value of a trimmed right-hand side, or a reason it is malformed.
func parseEnvValue(s string) (string, string) {
	if s == "" {
		return "", ""
	}
	if q := s[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(s[1:], q)
		if end < 0 {
			return "", "unterminated quoted value (multi-line values are not supported)"
		}
		v := s[1 : 1+end]
		rest := strings.TrimSpace(s[2+end:])
		if rest != "" && !strings.HasPrefix(rest, "#") {
			return "", "unexpected text after the closing quote"
		}
		return v, ""
	}
	// An unquoted value ends at a " #" comment; a '#' inside a word (pa#ss) is kept.
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return strings.TrimSpace(s[:i]), ""
		}
	}
	return s, ""
}

func validEnvKey(k string) bool {
	if k == "" {
		return false
	}
	for i := range len(k) {
		c := k[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// parseEnvBytes is ParseEnvFile over a byte slice.
func parseEnvBytes(name string, b []byte) (map[string]string, error) {
	return ParseEnvFile(name, bytes.NewReader(b))
}
