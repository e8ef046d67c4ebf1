package apifake

import "strings"

// pattern is a parsed route pattern: "[METHOD ]/path". Segments written {name} match any one
// non-empty segment, a last segment {name...} or a trailing slash matches any rest, and an
// empty path matches every path.
type pattern struct {
	method string
	segs   []string
	prefix bool
}

func parsePattern(s string) pattern {
	var p pattern
	if m, path, ok := strings.Cut(s, " "); ok {
		p.method, s = m, strings.TrimSpace(path)
	}
	if s == "" {
		p.prefix = true
		return p
	}
	p.segs = strings.Split(s, "/")
	last := p.segs[len(p.segs)-1]
	switch {
	case last == "":
		p.segs, p.prefix = p.segs[:len(p.segs)-1], true
	case strings.HasPrefix(last, "{") && strings.HasSuffix(last, "...}"):
		p.segs, p.prefix = p.segs[:len(p.segs)-1], true
	}
	return p
}

func (p pattern) match(method, path string) bool {
	if p.method != "" && p.method != method {
		return false
	}
	got := strings.Split(path, "/")
	if p.prefix {
		if len(got) <= len(p.segs) {
			return false
		}
	} else if len(got) != len(p.segs) {
		return false
	}
	for i, want := range p.segs {
		wild := strings.HasPrefix(want, "{") && strings.HasSuffix(want, "}")
		if wild && got[i] == "" || !wild && got[i] != want {
			return false
		}
	}
	return true
}
