package providers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
)

// FileMode checks a file secret (MountPath set) and returns the mode its file gets: its
// Permissions in octal, config.DefaultSecretPermissions when it names none. Errors wrap
// ErrInvalidSpec: a mount path that is not an absolute file path, or permissions that are not
// an octal mode of at most 0777; the caller adds its provider's prefix.
func (s SecretValue) FileMode() (int64, error) {
	if !strings.HasPrefix(s.MountPath, "/") || strings.Contains(s.MountPath, "..") || strings.HasSuffix(s.MountPath, "/") {
		return 0, fmt.Errorf("secret %s: mountPath %q: %w: must be an absolute file path", s.Name, s.MountPath, ErrInvalidSpec)
	}
	perm := s.Permissions
	if perm == "" {
		perm = config.DefaultSecretPermissions
	}
	mode, err := strconv.ParseInt(perm, 8, 32)
	if err != nil || mode < 0 || mode > 0o777 {
		return 0, fmt.Errorf("secret %s: permissions %q: %w: use an octal mode like 0600", s.Name, s.Permissions, ErrInvalidSpec)
	}
	return mode, nil
}
