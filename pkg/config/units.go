package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/internal/excerpt"
)

// Byte multiples. Sindri has always treated "GB" as 1024 MB (contract §1.8), so every unit here
// is binary: MB = MiB = Mi = 2^20 bytes, GB = GiB = Gi = 2^30, TB = TiB = Ti = 2^40.
const (
	KiB int64 = 1 << 10
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
	TiB int64 = 1 << 40
)

// ErrBadSize is wrapped by every ParseSize error.
var ErrBadSize = errors.New("invalid size")

var sizeUnits = map[string]int64{
	"K": KiB, "KB": KiB, "KI": KiB, "KIB": KiB,
	"M": MiB, "MB": MiB, "MI": MiB, "MIB": MiB,
	"G": GiB, "GB": GiB, "GI": GiB, "GIB": GiB,
	"T": TiB, "TB": TiB, "TI": TiB, "TIB": TiB,
}

// ParseSize parses a memory or disk size such as "512MB", "4GB", "4Gi", "10GiB" or "1TB" into
// bytes. Units are case-insensitive and binary (see KiB). A whole number is required; there is
// no default unit and no silent fallback: anything else returns an error wrapping ErrBadSize
// that says which forms are accepted.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	num, unit := t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("%w %s: expected a whole number followed by a unit, like 512MB, 4GB, 4Gi or 1TB", ErrBadSize, excerpt.Quote(s))
	}
	mult, ok := sizeUnits[unit]
	if !ok {
		if unit == "" {
			return 0, fmt.Errorf("%w %s: a unit is required (MB, GB or TB; Mi, Gi, Ti and MiB, GiB, TiB also work)", ErrBadSize, excerpt.Quote(s))
		}
		return 0, fmt.Errorf("%w %s: unknown unit %s; use MB, GB or TB (Mi, Gi, Ti and MiB, GiB, TiB also work)", ErrBadSize, excerpt.Quote(s), excerpt.Quote(t[i:]))
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%w %s: number too large", ErrBadSize, excerpt.Quote(s))
	}
	if n == 0 {
		return 0, fmt.Errorf("%w %s: size must be greater than zero", ErrBadSize, excerpt.Quote(s))
	}
	return n * mult, nil
}

// SchemaSizeForm reports whether s is in the upstream schema's form ^\d+(MB|GB)$. Other forms
// that ParseSize accepts draw a portability warning, not an error.
func SchemaSizeForm(s string) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > 0 && (s[i:] == "MB" || s[i:] == "GB")
}
