package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/sindri/deploy/v3/internal/excerpt"
)

// ErrBadVersionReq is matched by the error ParseVersionReq returns for a constraint that is not
// a Cargo version requirement.
var ErrBadVersionReq = errors.New("invalid version constraint")

// VersionReq is a version requirement with the semantics of Rust's semver::VersionReq (Cargo's),
// which upstream uses for image_config.version: comparators joined by commas, all of which must
// match; a bare version means a caret requirement ("3.0.0" is "^3.0.0"); a prerelease version
// matches only when some comparator names a prerelease of the same major.minor.patch.
type VersionReq struct {
	text  string
	comps []comparator
}

type reqOp int

const (
	opExact reqOp = iota // = and wildcards
	opGreater
	opGreaterEq
	opLess
	opLessEq
	opTilde
	opCaret
)

// comparator is one Cargo comparator. minor and patch are -1 when left out (or a wildcard).
type comparator struct {
	op                  reqOp
	major, minor, patch int64
	pre                 string
}

// ParseVersionReq parses a Cargo version requirement such as "^3.0.0", "~3.1", ">=3.0.0, <4",
// "3.*" or "*". Errors match ErrBadVersionReq; "||" and hyphen ranges are not Cargo syntax and
// are refused, as is a leading "v" on a comparator's version.
func ParseVersionReq(s string) (*VersionReq, error) {
	text := strings.TrimSpace(s)
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w %s: %s", ErrBadVersionReq, excerpt.Quote(s), fmt.Sprintf(format, a...))
	}
	if text == "" {
		return nil, bad("empty")
	}
	if strings.Contains(text, "||") {
		return nil, bad(`"||" is not Cargo syntax; a constraint is comparators joined by commas, all of which must match`)
	}
	r := &VersionReq{text: text}
	for part := range strings.SplitSeq(text, ",") {
		c, err := parseComparator(strings.TrimSpace(part))
		if err != nil {
			return nil, bad("%v", err)
		}
		r.comps = append(r.comps, c)
	}
	return r, nil
}

// String returns the requirement as written.
func (r *VersionReq) String() string { return r.text }

var reqOps = []struct {
	lit string
	op  reqOp
}{
	{">=", opGreaterEq}, {"<=", opLessEq}, {">", opGreater}, {"<", opLess}, {"=", opExact}, {"~", opTilde}, {"^", opCaret},
}

func parseComparator(s string) (comparator, error) {
	if s == "" {
		return comparator{}, errors.New("empty comparator")
	}
	c := comparator{op: opCaret, minor: -1, patch: -1}
	explicitOp := false
	for _, o := range reqOps {
		if rest, ok := strings.CutPrefix(s, o.lit); ok {
			c.op, s, explicitOp = o.op, strings.TrimSpace(rest), true
			break
		}
	}
	if strings.ContainsAny(s, " \t") {
		return comparator{}, fmt.Errorf("unexpected space in %s (join comparators with a comma)", excerpt.Quote(s))
	}
	if strings.HasPrefix(s, "v") || strings.HasPrefix(s, "V") {
		return comparator{}, fmt.Errorf("%s: write the version without a leading v", excerpt.Quote(s))
	}
	core, pre, hasPre := strings.Cut(s, "-")
	core, _, _ = strings.Cut(core, "+") // build metadata never affects matching
	if hasPre {
		pre, _, _ = strings.Cut(pre, "+")
		if pre == "" {
			return comparator{}, fmt.Errorf("%s: empty prerelease", excerpt.Quote(s))
		}
		c.pre = pre
	}
	parts := strings.Split(core, ".")
	if len(parts) > 3 {
		return comparator{}, fmt.Errorf("%s: more than three version numbers", excerpt.Quote(s))
	}
	nums := []*int64{&c.major, &c.minor, &c.patch}
	wild := false
	for i, p := range parts {
		if p == "*" || p == "x" || p == "X" {
			if i == 0 && explicitOp {
				return comparator{}, fmt.Errorf("%s: a wildcard major version takes no operator", excerpt.Quote(s))
			}
			wild = true
			*nums[i] = -1
			continue
		}
		if wild {
			return comparator{}, fmt.Errorf("%s: a number after a wildcard", excerpt.Quote(s))
		}
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 || (len(p) > 1 && p[0] == '0') {
			return comparator{}, fmt.Errorf("%s: %s is not a version number", excerpt.Quote(s), excerpt.Quote(p))
		}
		*nums[i] = n
	}
	if wild {
		if explicitOp && c.op != opExact {
			return comparator{}, fmt.Errorf("%s: wildcards take no operator", excerpt.Quote(s))
		}
		c.op = opExact
	}
	if c.pre != "" && (wild || c.patch < 0) {
		return comparator{}, fmt.Errorf("%s: a prerelease needs major.minor.patch", excerpt.Quote(s))
	}
	return c, nil
}

// Matches reports whether v satisfies every comparator, with Cargo's prerelease rule.
func (r *VersionReq) Matches(v *semver.Version) bool {
	for _, c := range r.comps {
		if !c.matches(v) {
			return false
		}
	}
	if v.Prerelease() == "" {
		return true
	}
	for _, c := range r.comps {
		if c.pre != "" && c.major == int64(v.Major()) && c.minor == int64(v.Minor()) && c.patch == int64(v.Patch()) {
			return true
		}
	}
	return false
}

// bound returns the comparator's version with missing parts as zero.
func (c comparator) bound() *semver.Version {
	return semver.New(uint64(max(c.major, 0)), uint64(max(c.minor, 0)), uint64(max(c.patch, 0)), c.pre, "")
}

// within reports lo <= v < hi.
func within(v, lo, hi *semver.Version) bool { return v.Compare(lo) >= 0 && v.Compare(hi) < 0 }

// next returns the first version (no prerelease) above every version that agrees with c on the
// parts c names.
func (c comparator) next() *semver.Version {
	switch {
	case c.major < 0:
		return nil
	case c.minor < 0:
		return semver.New(uint64(c.major)+1, 0, 0, "", "")
	case c.patch < 0:
		return semver.New(uint64(c.major), uint64(c.minor)+1, 0, "", "")
	}
	return semver.New(uint64(c.major), uint64(c.minor), uint64(c.patch)+1, "", "")
}

func (c comparator) matches(v *semver.Version) bool {
	lo := c.bound()
	full := c.patch >= 0
	switch c.op {
	case opExact:
		if c.major < 0 {
			return true
		}
		if full {
			return v.Compare(lo) == 0
		}
		return within(v, lo, c.next())
	case opGreater:
		if full {
			return v.Compare(lo) > 0
		}
		return v.Compare(c.next()) >= 0
	case opGreaterEq:
		return v.Compare(lo) >= 0
	case opLess:
		return v.Compare(lo) < 0
	case opLessEq:
		if full {
			return v.Compare(lo) <= 0
		}
		return v.Compare(c.next()) < 0
	case opTilde:
		hi := semver.New(uint64(c.major)+1, 0, 0, "", "")
		if c.minor >= 0 {
			hi = semver.New(uint64(c.major), uint64(c.minor)+1, 0, "", "")
		}
		return within(v, lo, hi)
	case opCaret:
		var hi *semver.Version
		switch {
		case c.major > 0 || c.minor < 0:
			hi = semver.New(uint64(c.major)+1, 0, 0, "", "")
		case c.minor > 0 || c.patch < 0:
			hi = semver.New(0, uint64(c.minor)+1, 0, "", "")
		default: // ^0.0.K is =0.0.K
			hi = semver.New(0, 0, uint64(c.patch)+1, "", "")
		}
		return within(v, lo, hi)
	}
	return false
}
