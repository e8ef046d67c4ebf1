package secrets

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// pathPolicy expands and confines the file paths named by secrets and reads them.
type pathPolicy struct {
	configDir     string   // absolute, cleaned
	configDirReal string   // configDir with symlinks evaluated
	roots         []string // allowed roots, absolute and cleaned, as configured
	rootsReal     []string // the roots that exist, symlinks evaluated
	homeDir       string
	lookup        func(string) (string, bool)
	maxSize       int64
}

func newPathPolicy(cfg *ResolverConfig) (*pathPolicy, error) {
	if cfg.ConfigDir == "" {
		return nil, fmt.Errorf("%w: ConfigDir is empty", ErrInvalidConfig)
	}
	dir, err := filepath.Abs(cfg.ConfigDir)
	if err != nil {
		return nil, fmt.Errorf("%w: config dir: %v", ErrInvalidConfig, err)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: config dir %s: %v", ErrInvalidConfig, dir, err)
	}
	if st, err := os.Stat(real); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%w: config dir %s is not a directory", ErrInvalidConfig, dir)
	}
	p := &pathPolicy{
		configDir:     dir,
		configDirReal: real,
		homeDir:       cfg.HomeDir,
		lookup:        cfg.LookupEnv,
		maxSize:       cfg.MaxFileSize,
	}
	if p.lookup == nil {
		p.lookup = func(string) (string, bool) { return "", false }
	}
	if p.maxSize <= 0 {
		p.maxSize = DefaultMaxFileSize
	}
	roots := cfg.AllowedRoots
	if roots == nil {
		roots = DefaultAllowedRoots()
	}
	for _, r := range roots {
		if !filepath.IsAbs(r) {
			return nil, fmt.Errorf("%w: allowed root %q is not absolute", ErrInvalidConfig, r)
		}
		r = filepath.Clean(r)
		p.roots = append(p.roots, r)
		if rr, err := filepath.EvalSymlinks(r); err == nil {
			p.rootsReal = append(p.rootsReal, rr)
		}
	}
	return p, nil
}

// expand applies "~" (HomeDir) and $VAR / ${VAR} (LookupEnv) expansion and makes the path
// absolute against the config directory.
func (p *pathPolicy) expand(raw string) (string, error) {
	s := raw
	switch {
	case s == "~" || strings.HasPrefix(s, "~/"):
		if p.homeDir == "" {
			return "", fmt.Errorf("expand %q: %w: no home directory configured for ~", raw, ErrInvalidConfig)
		}
		s = p.homeDir + s[1:]
	case strings.HasPrefix(s, "~"):
		return "", fmt.Errorf("expand %q: %w: ~user paths are not supported", raw, ErrInvalidSecret)
	}
	var missing []string
	s = os.Expand(s, func(name string) string {
		v, ok := p.lookup(name)
		if !ok {
			missing = append(missing, "$"+name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("expand %q: variable %s is not set: %w", raw, strings.Join(missing, ", "), ErrNotFound)
	}
	if s == "" {
		return "", fmt.Errorf("expand %q: %w: path is empty", raw, ErrInvalidSecret)
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(p.configDir, s)
	}
	return filepath.Clean(s), nil
}

// confine returns the real (symlink-free) path of abs after checking that both the path as
// written and the real path lie under the config directory or an allowed root. A missing file
// gives ErrNotFound; an escape gives ErrPathNotAllowed.
func (p *pathPolicy) confine(abs string) (string, error) {
	if !p.allowed(abs, p.configDir, p.roots) {
		return "", fmt.Errorf("path %s: %w (config dir %s, allowed roots %s)", abs, ErrPathNotAllowed, p.configDir, p.rootsText())
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("file %s: %w", abs, ErrNotFound)
		}
		return "", fmt.Errorf("file %s: %w", abs, err)
	}
	if !p.allowed(real, p.configDirReal, p.rootsReal) {
		return "", fmt.Errorf("path %s resolves through a symlink to %s: %w (config dir %s, allowed roots %s)",
			abs, real, ErrPathNotAllowed, p.configDir, p.rootsText())
	}
	return real, nil
}

func (p *pathPolicy) allowed(path, dir string, roots []string) bool {
	if within(path, dir) {
		return true
	}
	for _, r := range roots {
		if within(path, r) {
			return true
		}
	}
	return false
}

func (p *pathPolicy) rootsText() string {
	if len(p.roots) == 0 {
		return "(none)"
	}
	return strings.Join(p.roots, ", ")
}

// within reports whether path is dir or below it. Both are absolute and clean.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}

// readConfined expands, confines and reads the regular file named by raw, up to maxSize bytes.
// It returns the real path that was read.
func (p *pathPolicy) readConfined(raw string) ([]byte, string, error) {
	abs, err := p.expand(raw)
	if err != nil {
		return nil, "", err
	}
	real, err := p.confine(abs)
	if err != nil {
		return nil, "", err
	}
	b, err := p.readRegular(real)
	return b, real, err
}

// readRegular reads a regular file of at most maxSize bytes. Stat comes first so that a FIFO or
// device under an allowed root cannot block or flood the read.
func (p *pathPolicy) readRegular(real string) ([]byte, error) {
	st, err := os.Stat(real)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("file %s: %w", real, ErrNotFound)
		}
		return nil, fmt.Errorf("file %s: %w", real, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("file %s: %w: not a regular file", real, ErrInvalidSecret)
	}
	if st.Size() > p.maxSize {
		return nil, fmt.Errorf("file %s: %w: larger than %d bytes", real, ErrInvalidSecret, p.maxSize)
	}
	f, err := os.Open(real)
	if err != nil {
		return nil, fmt.Errorf("file %s: %w", real, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, p.maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("file %s: %w", real, err)
	}
	if int64(len(b)) > p.maxSize {
		return nil, fmt.Errorf("file %s: %w: larger than %d bytes", real, ErrInvalidSecret, p.maxSize)
	}
	return b, nil
}
