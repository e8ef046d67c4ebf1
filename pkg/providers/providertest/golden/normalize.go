package golden

import (
	"fmt"
	"regexp"
)

// A Normalizer rewrites the parts of golden output that differ between runs into stable
// placeholders. Normalizers never fail.
type Normalizer func([]byte) []byte

// Normalize applies each normalizer to b in order and returns the result. It never fails.
func Normalize(b []byte, ns ...Normalizer) []byte {
	for _, n := range ns {
		b = n(b)
	}
	return b
}

var (
	uuidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	hexRE  = regexp.MustCompile(`[0-9a-f]{12,}`)
	// RFC 3339 with optional fractional seconds; the date-time separator may be 'T' or a space
	// (Go's time.Time.String), and the zone 'Z' or an offset.
	rfc3339RE = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
	// Unix times from 2001-09-09 to 2033-05-18 in seconds, milliseconds, microseconds or
	// nanoseconds.
	unixRE = regexp.MustCompile(`1\d{9}(\d{3}){0,3}`)
	portRE = regexp.MustCompile(`(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}`)
)

// IDs replaces UUIDs with <uuid-N> and hex ids with <id-N>, numbering each distinct value in
// order of first appearance so a golden file still shows which references are the same id.
// A hex id is a run of 12 or more lowercase hex digits, not touching another letter or digit,
// that contains a letter a-f or is exactly 12, 32, 40 or 64 digits long (a short container id,
// an MD5, a SHA-1, a SHA-256); other all-digit runs are left for UnixTimes. It never fails.
func IDs(b []byte) []byte {
	b = replaceNumbered(b, uuidRE, "uuid", func([]byte) bool { return true })
	return replaceNumbered(b, hexRE, "id", isHexID)
}

func isHexID(m []byte) bool {
	for _, c := range m {
		if c >= 'a' && c <= 'f' {
			return true
		}
	}
	switch len(m) {
	case 12, 32, 40, 64:
		return true
	}
	return false
}

// Timestamps replaces RFC 3339 timestamps (with or without fractional seconds, with a 'T' or
// a space between date and time) with <time>. It never fails.
func Timestamps(b []byte) []byte {
	return replaceBounded(b, rfc3339RE, func([]byte) []byte { return []byte("<time>") })
}

// UnixTimes replaces Unix times with <unix>: a run of 10, 13, 16 or 19 digits starting with 1,
// not touching another letter or digit, read as seconds, milliseconds, microseconds or
// nanoseconds between 2001 and 2033. It never fails.
func UnixTimes(b []byte) []byte {
	return replaceBounded(b, unixRE, func([]byte) []byte { return []byte("<unix>") })
}

// LocalPorts replaces the port of a loopback address (127.0.0.1, localhost, [::1]) with
// <port>, keeping the host. It never fails.
func LocalPorts(b []byte) []byte {
	return replaceBounded(b, portRE, func(m []byte) []byte {
		host := portRE.FindSubmatch(m)[1]
		return append(append([]byte{}, host...), ":<port>"...)
	})
}

// replaceNumbered replaces the bounded matches of re that keep accepts with <kind-N>.
func replaceNumbered(b []byte, re *regexp.Regexp, kind string, keep func([]byte) bool) []byte {
	seen := map[string]string{}
	return replaceBounded(b, re, func(m []byte) []byte {
		if !keep(m) {
			return m
		}
		p, ok := seen[string(m)]
		if !ok {
			p = fmt.Sprintf("<%s-%d>", kind, len(seen)+1)
			seen[string(m)] = p
		}
		return []byte(p)
	})
}

// replaceBounded replaces each match of re that is not part of a longer word (its neighbours
// are not ASCII letters or digits) with repl(match).
func replaceBounded(b []byte, re *regexp.Regexp, repl func([]byte) []byte) []byte {
	var out []byte
	last := 0
	for _, loc := range re.FindAllIndex(b, -1) {
		s, e := loc[0], loc[1]
		if (s > 0 && isAlnum(b[s-1])) || (e < len(b) && isAlnum(b[e])) {
			continue
		}
		out = append(out, b[last:s]...)
		out = append(out, repl(b[s:e])...)
		last = e
	}
	return append(out, b[last:]...)
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
