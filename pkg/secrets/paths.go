package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sindri/deploy/v3/internal/confine"
	"github.com/sindri/deploy/v3/internal/excerpt"
)

// pathPolicy expands the file paths named by secrets and reads them through confine.ReadFile,
// confined to the root (the workspace) and the operator's allowed roots.
type pathPolicy struct {
	configDir string   // absolute, cleaned
	root      string   // absolute, cleaned: every file must resolve into it or an allowed root
	roots     []string // allowed roots, absolute and cleaned, as configured
	existing  []string // the allowed roots that exist
	homeDir   string
	lookup    func(string) (string, bool)
	maxSize   int64
}

func newPathPolicy(cfg *ResolverConfig) (*pathPolicy, error) {
	if cfg.ConfigDir == "" {
		return nil, fmt.Errorf("%w: ConfigDir is empty", ErrInvalidConfig)
	}
	dir, err := existingDir(cfg.ConfigDir, "config dir")
	if err != nil {
		return nil, err
	}
	root := dir
	if cfg.Root != "" {
		if root, err = existingDir(cfg.Root, "root"); err != nil {
			return nil, err
		}
	}
	p := &pathPolicy{
		configDir: dir,
		root:      root,
		homeDir:   cfg.HomeDir,
		lookup:    cfg.LookupEnv,
		maxSize:   cfg.MaxFileSize,
	}
	if p.lookup == nil {
		p.lookup = func(string) (string, bool) { return "", false }
	}
	if p.maxSize <= 0 {
		p.maxSize = DefaultMaxFileSize
	}
	for _, r := range cfg.AllowedRoots {
		if !filepath.IsAbs(r) {
			return nil, fmt.Errorf("%w: allowed root %q is not absolute", ErrInvalidConfig, r)
		}
		r = filepath.Clean(r)
		p.roots = append(p.roots, r)
		if st, err := os.Stat(r); err == nil && st.IsDir() {
			p.existing = append(p.existing, r)
		}
	}
	return p, nil
}

func existingDir(d, what string) (string, error) {
	abs, err := filepath.Abs(d)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrInvalidConfig, what, err)
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return "", fmt.Errorf("%w: %s %s is not a directory", ErrInvalidConfig, what, abs)
	}
	return filepath.Clean(abs), nil
}

// expand applies "~" and $HOME (HomeDir), and $VAR / ${VAR} for VAR in declared (LookupEnv),
// and makes the path absolute against the config directory. Any other variable is an error
// naming it: a path must not be a way to read the process environment. Errors name the field
// and the variables, never their values, and quote the path only as written.
func (p *pathPolicy) expand(field, raw string, declared map[string]bool) (string, error) {
	s := raw
	switch {
	case s == "~" || strings.HasPrefix(s, "~/"):
		if p.homeDir == "" {
			return "", fmt.Errorf("%s %s: %w: no home directory configured for ~", field, excerpt.Path(raw), ErrInvalidConfig)
		}
		s = p.homeDir + s[1:]
	case strings.HasPrefix(s, "~"):
		return "", fmt.Errorf("%s %s: %w: ~user paths are not supported", field, excerpt.Path(raw), ErrInvalidSecret)
	}
	s, err := expandVars(s, func(name string) (string, error) {
		switch {
		case name == "HOME":
			if p.homeDir == "" {
				return "", fmt.Errorf("%w: no home directory configured for $HOME", ErrInvalidConfig)
			}
			return p.homeDir, nil
		case !declared[name]:
			return "", fmt.Errorf("%w: variable %s is not declared: only ~, $HOME and the names of env secrets declared in secrets are expanded", ErrInvalidSecret, name)
		}
		if v, ok := p.lookup(name); ok && v != "" {
			return v, nil
		}
		return "", fmt.Errorf("variable %s is not set in the process environment: %w", name, ErrNotFound)
	})
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", field, excerpt.Path(raw), err)
	}
	if s == "" {
		return "", fmt.Errorf("%s: %w: path is empty", field, ErrInvalidSecret)
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(p.configDir, s)
	}
	return filepath.Clean(s), nil
}

// expandVars replaces $NAME and ${NAME} (NAME matching [A-Za-z_][A-Za-z0-9_]*) with value(NAME).
// Anything else after a '$' is an error: os.Expand would take "${INPUT_GITHUB-TOKEN}" and
// shell specials such as "$$" or "$1".
func expandVars(s string, value func(string) (string, error)) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i+1:]
		var name string
		if strings.HasPrefix(s, "{") {
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return "", fmt.Errorf("%w: unterminated ${", ErrInvalidSecret)
			}
			name, s = s[1:end], s[end+1:]
		} else {
			n := 0
			for n < len(s) && isNameByte(s[n], n == 0) {
				n++
			}
			name, s = s[:n], s[n:]
		}
		if !validEnvKey(name) {
			return "", fmt.Errorf("%w: '$' must be followed by a variable name (letters, digits, _)", ErrInvalidSecret)
		}
		v, err := value(name)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || !first && c >= '0' && c <= '9'
}

// read expands raw (the value of field) and reads the file it names. The file must resolve
// into the root or an allowed root.
func (p *pathPolicy) read(field, raw string, declared map[string]bool) ([]byte, string, error) {
	abs, err := p.expand(field, raw, declared)
	if err != nil {
		return nil, "", err
	}
	for _, root := range append([]string{p.root}, p.existing...) {
		b, err := confine.ReadFile(root, abs, p.maxSize)
		if errors.Is(err, confine.ErrOutsideRoot) {
			continue
		}
		if err != nil {
			return nil, abs, fmt.Errorf("%s %s: %w", field, excerpt.Path(raw), fileErr(err))
		}
		return b, abs, nil
	}
	return nil, abs, fmt.Errorf("%s %s: %w (workspace %s, allowed roots %s)", field, excerpt.Path(raw), ErrPathNotAllowed, p.root, p.rootsText())
}

// readEnvFile reads <configdir>/<name>, which must resolve into the root. A missing file gives
// ok false and no error.
func (p *pathPolicy) readEnvFile(name string) (b []byte, ok bool, err error) {
	b, err = confine.ReadFile(p.root, filepath.Join(p.configDir, name), p.maxSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case errors.Is(err, confine.ErrOutsideRoot):
		return nil, false, fmt.Errorf("%s: %w (workspace %s)", name, ErrPathNotAllowed, p.root)
	case err != nil:
		return nil, false, fmt.Errorf("%s: %w", name, fileErr(err))
	}
	return b, true, nil
}

// fileErr maps confine's errors onto this package's sentinels.
func fileErr(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("no such file: %w", ErrNotFound)
	case errors.Is(err, confine.ErrNotRegular), errors.Is(err, confine.ErrTooLarge):
		return fmt.Errorf("%w: %v", ErrInvalidSecret, err)
	}
	return err
}

func (p *pathPolicy) rootsText() string {
	if len(p.roots) == 0 {
		return "(none)"
	}
	return strings.Join(p.roots, ", ")
}
