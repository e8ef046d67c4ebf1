package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// ErrBadEnvFile is matched by FormatEnvFile's error for a name or value an env file cannot
// hold.
var ErrBadEnvFile = errors.New("invalid env file entry")

// SecretFile is a file of secret content, mode 0600, alone in a directory of mode 0700 that
// Remove deletes. Pass its Path to a tool's --env-file or -var-file flag, so the secret stays
// out of argv and out of the tool's environment.
type SecretFile struct {
	// Path is the file's absolute path.
	Path string
	dir  string
}

// WriteSecretFile writes content to a new file called name in a new private directory under
// base ("" means the system temporary directory). The caller must call Remove when the tool
// has finished, also on failure paths. It returns the error of creating or writing the file,
// after removing what it created.
func WriteSecretFile(base, name string, content []byte) (*SecretFile, error) {
	if name == "" || strings.ContainsRune(name, '/') || name == "." || name == ".." {
		return nil, fmt.Errorf("cli: secret file name %q must be a plain file name", name)
	}
	dir, err := os.MkdirTemp(base, "sindri-secret-") // MkdirTemp creates it with mode 0700
	if err != nil {
		return nil, fmt.Errorf("cli: secret file: %w", err)
	}
	f := &SecretFile{Path: filepath.Join(dir, name), dir: dir}
	if err := os.WriteFile(f.Path, content, 0o600); err != nil {
		_ = f.Remove() // the write error is the one to report
		return nil, fmt.Errorf("cli: secret file: %w", err)
	}
	if !filepath.IsAbs(f.Path) {
		abs, err := filepath.Abs(f.Path)
		if err != nil {
			_ = f.Remove()
			return nil, fmt.Errorf("cli: secret file: %w", err)
		}
		f.Path = abs
	}
	return f, nil
}

// Remove deletes the file and its directory. Removing twice is not an error; it returns the
// error of the deletion otherwise.
func (f *SecretFile) Remove() error {
	if err := os.RemoveAll(f.dir); err != nil {
		return fmt.Errorf("cli: remove secret file: %w", err)
	}
	return nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// FormatEnvFile returns vars as KEY=VALUE lines sorted by name, values verbatim with no
// quoting: the form docker's and devpod's --env-file flags read. It returns an error matching
// ErrBadEnvFile, naming the variable but not its value, for an invalid name or a value with a
// newline, carriage return or NUL byte, which the form cannot carry.
func FormatEnvFile(vars map[string]string) ([]byte, error) {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		v := vars[k]
		if !envName.MatchString(k) {
			return nil, fmt.Errorf("cli: env file: name %q: %w", k, ErrBadEnvFile)
		}
		if strings.ContainsAny(v, "\n\r\x00") {
			return nil, fmt.Errorf("cli: env file: value of %s has a line break or NUL: %w", k, ErrBadEnvFile)
		}
		b.WriteString(k + "=" + v + "\n")
	}
	return []byte(b.String()), nil
}
