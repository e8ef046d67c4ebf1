package github

import (
	"errors"
	"fmt"
	"strings"
)

// Permission is a repository permission level, ordered: PermNone < PermRead < PermTriage <
// PermWrite < PermMaintain < PermAdmin.
type Permission int

// Permission levels.
const (
	PermNone Permission = iota
	PermRead
	PermTriage
	PermWrite
	PermMaintain
	PermAdmin
)

var permNames = []string{"none", "read", "triage", "write", "maintain", "admin"}

// String implements fmt.Stringer.
func (p Permission) String() string {
	if p >= 0 && int(p) < len(permNames) {
		return permNames[p]
	}
	return fmt.Sprintf("Permission(%d)", int(p))
}

// Reaches reports whether p is at least required.
func (p Permission) Reaches(required Permission) bool { return p >= required }

// ErrUnknownPermission is returned by ParsePermission for a name that is not a level.
var ErrUnknownPermission = errors.New("unknown permission level")

// ParsePermission returns the level named s (case-insensitive): none, read, triage, write,
// maintain or admin. GitHub's legacy name "pull" means read and "push" means write. It returns
// an error wrapping ErrUnknownPermission otherwise.
func ParsePermission(s string) (Permission, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "pull":
		return PermRead, nil
	case "push":
		return PermWrite, nil
	default:
		for i, n := range permNames {
			if n == v {
				return Permission(i), nil
			}
		}
	}
	return PermNone, fmt.Errorf("%w %q: want read, triage, write, maintain or admin", ErrUnknownPermission, s)
}
