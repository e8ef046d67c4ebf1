package vm

import (
	"fmt"
	"regexp"

	"github.com/Masterminds/semver/v3"
)

// Mode is the template dialect, chosen from the Packer version.
type Mode int

// Template modes.
const (
	// ModeLegacy is for Packer 1.6.x: no required_plugins block and no packer init; the
	// builders are compiled into packer.
	ModeLegacy Mode = iota
	// ModePlugins is for Packer 1.7 and later: the template names its plugins in
	// packer { required_plugins } and the build runs packer init first.
	ModePlugins
)

// String returns "legacy" or "plugins".
func (m Mode) String() string {
	switch m {
	case ModeLegacy:
		return "legacy"
	case ModePlugins:
		return "plugins"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// MinVersion is the oldest Packer the templates work with (HCL2 locals, formatdate).
var MinVersion = semver.MustParse("1.6.0")

// pluginsVersion is the first Packer with required_plugins and packer init.
var pluginsVersion = semver.MustParse("1.7.0")

var versionRE = regexp.MustCompile(`v?(\d+\.\d+\.\d+)`)

// ParseVersion reads the version from `packer version` output ("Packer v1.6.6", possibly
// followed by lines about updates) and returns it with the Mode it calls for. It returns an
// error when the output holds no version or the version is older than MinVersion.
func ParseVersion(out string) (*semver.Version, Mode, error) {
	m := versionRE.FindStringSubmatch(out)
	if m == nil {
		return nil, 0, fmt.Errorf("packer version: no version in %q", firstLine(out))
	}
	v, err := semver.NewVersion(m[1])
	if err != nil {
		return nil, 0, fmt.Errorf("packer version %q: %w", m[1], err)
	}
	if v.LessThan(MinVersion) {
		return v, 0, fmt.Errorf("packer %s is older than %s, the first with the HCL2 features the templates use", v, MinVersion)
	}
	if v.LessThan(pluginsVersion) {
		return v, ModeLegacy, nil
	}
	return v, ModePlugins, nil
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}
