// Package builtin is the one table of the providers compiled into sindri-action and
// sindri-executor, and the function both binaries build their provider registry with.
//
// Each row names a provider, the settings it reads (the attributes of its
// `provider "<name>" { ... }` block in executor.hcl, each overridable by the environment
// variable SINDRI_<NAME>_<SETTING>) and a constructor. Adding a provider is one row here plus
// its package (and, when the package's own constructor does not take settings, a small
// adapter file like docker.go).
//
// This package reads no environment itself: the mains pass getenv down.
package builtin

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/devpod"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
	"github.com/sindri/deploy/v3/pkg/providers/e2b"
	"github.com/sindri/deploy/v3/pkg/providers/fly"
	"github.com/sindri/deploy/v3/pkg/providers/northflank"
	"github.com/sindri/deploy/v3/pkg/providers/runpod"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
)

// Entry is one built-in provider.
type Entry struct {
	// Name is the provider's registry name.
	Name string
	// Settings are the names of the settings New reads from its settings map, in the order
	// the documentation lists them.
	Settings []string
	// Required are the credentials (environment variable names) without which the provider
	// cannot work at all, such as FLY_API_TOKEN; the first is the one a missing-credential
	// error names. Optional credentials (docker's registry login) are not listed here.
	Required []string
	// New builds the provider. settings holds only the settings that were set (in the file
	// block or as SINDRI_<NAME>_<SETTING>); anything else, such as the platform's own
	// variables (DOCKER_HOST) and credentials, New reads through getenv.
	//
	// New never fails for a missing credential: the provider is built anyway and its first
	// operation returns providers.MissingCredential naming the variable (a Checker says so at
	// start). New returns a *SettingError for a setting whose value it cannot use, and other
	// errors for a configuration that cannot work at all.
	New func(getenv func(string) string, settings map[string]string) (providers.Provider, error)
}

// table is every built-in provider, in the order of their names. kubernetesRows is the
// kubernetes row, or none in a binary built with the nokubernetes tag (kubernetes.go).
var table = slices.Concat([]Entry{
	{Name: devpod.Name, Settings: devpodSettings, New: newDevPod},
	{Name: docker.Name, Settings: dockerSettings, New: newDocker},
	{Name: e2b.Name, Settings: e2bSettings, Required: []string{e2b.CredentialVar}, New: newE2B},
	{Name: fly.Name, Settings: flySettings, Required: []string{fly.DefaultTokenVar}, New: newFly},
}, kubernetesRows, []Entry{
	{Name: northflank.Name, Settings: northflankSettings, Required: []string{northflank.CredentialVar}, New: newNorthflank},
	{Name: vm.Name, Settings: packerSettings, New: newPacker},
	{Name: runpod.Name, Settings: runpodSettings, Required: []string{runpod.CredentialVar}, New: newRunPod},
})

// Entries returns a copy of the table.
func Entries() []Entry { return slices.Clone(table) }

// Names returns the built-in providers' names, in table order.
func Names() []string {
	out := make([]string, len(table))
	for i, e := range table {
		out[i] = e.Name
	}
	return out
}

// Lookup returns the entry named name.
func Lookup(name string) (Entry, bool) {
	i := slices.IndexFunc(table, func(e Entry) bool { return e.Name == name })
	if i < 0 {
		return Entry{}, false
	}
	return table[i], true
}

// EnvVar returns the environment variable that overrides provider's setting:
// SINDRI_<PROVIDER>_<SETTING> in upper case, '-' as '_' (SINDRI_DOCKER_HOST).
func EnvVar(provider, setting string) string {
	up := func(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }
	return "SINDRI_" + up(provider) + "_" + up(setting)
}

// Value is one setting's value and where it was set ("executor.hcl:4:10"), for messages.
type Value struct {
	Text   string
	Source string
}

// Block is the body of one `provider "<name>" { ... }` block: its position and its
// attributes by name.
type Block struct {
	Source string
	Values map[string]Value
}

// SettingError is a setting value a provider cannot use. Registry reports it with where the
// value was set.
type SettingError struct {
	Setting string
	Err     error
}

// Error implements error.
func (e *SettingError) Error() string { return e.Setting + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *SettingError) Unwrap() error { return e.Err }

// CheckBlocks reports, all at once, blocks that name no built-in provider (listing the known
// ones) and attributes a provider does not read (listing its settings), each with its source.
func CheckBlocks(blocks map[string]Block) error {
	var errs []error
	for _, name := range sortedKeys(blocks) {
		b := blocks[name]
		e, ok := Lookup(name)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: provider %q is not a built-in provider (built in: %s)", b.Source, name, strings.Join(Names(), ", ")))
			continue
		}
		for _, attr := range sortedKeys(b.Values) {
			if !slices.Contains(e.Settings, attr) {
				errs = append(errs, fmt.Errorf("%s: provider %q has no setting %q (its settings: %s)", b.Values[attr].Source, name, attr, strings.Join(e.Settings, ", ")))
			}
		}
	}
	return errors.Join(errs...)
}

// Registry builds the built-in providers named in enabled (every one when enabled is empty;
// names it does not know are left to the caller, which may register providers of its own)
// from their blocks and the environment, and returns a registry holding them. A setting's
// value is, in increasing precedence: unset (the provider's own default, often a platform
// variable such as DOCKER_HOST), the block's attribute, the variable SINDRI_<NAME>_<SETTING>.
// Every problem is reported at once, each with its source: the errors of CheckBlocks, a
// *SettingError, and a constructor's other errors.
func Registry(getenv func(string) string, blocks map[string]Block, enabled []string) (*providers.Registry, error) {
	if err := CheckBlocks(blocks); err != nil {
		return nil, err
	}
	reg := &providers.Registry{}
	var errs []error
	for _, e := range table {
		if len(enabled) > 0 && !slices.Contains(enabled, e.Name) {
			continue
		}
		p, err := e.build(getenv, blocks[e.Name])
		if err == nil {
			err = reg.Register(p)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return reg, nil
}

// build resolves e's settings and calls its constructor, giving errors their sources.
func (e Entry) build(getenv func(string) string, b Block) (providers.Provider, error) {
	values := map[string]string{}
	sources := map[string]string{}
	for _, s := range e.Settings {
		if v := getenv(EnvVar(e.Name, s)); v != "" {
			values[s], sources[s] = v, "env "+EnvVar(e.Name, s)
		} else if v, ok := b.Values[s]; ok {
			values[s], sources[s] = v.Text, v.Source
		}
	}
	p, err := e.New(getenv, values)
	var se *SettingError
	switch {
	case errors.As(err, &se) && sources[se.Setting] != "":
		return nil, fmt.Errorf("%s: provider %s: %w", sources[se.Setting], e.Name, err)
	case err != nil && len(sources) > 0:
		var from []string
		for _, s := range sortedKeys(sources) {
			from = append(from, s+" from "+sources[s])
		}
		return nil, fmt.Errorf("provider %s (%s): %w", e.Name, strings.Join(from, ", "), err)
	case err != nil:
		return nil, fmt.Errorf("provider %s: %w", e.Name, err)
	}
	return p, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// durationSetting reads setting name as a positive Go duration; ok is false when it is
// unset. A value that is not one is a *SettingError naming example.
func durationSetting(settings map[string]string, name, example string) (d time.Duration, ok bool, err error) {
	v, ok := settings[name]
	if !ok {
		return 0, false, nil
	}
	d, perr := time.ParseDuration(v)
	if perr != nil || d <= 0 {
		return 0, false, &SettingError{Setting: name, Err: fmt.Errorf("%q is not a positive duration such as %s", v, example)}
	}
	return d, true, nil
}
