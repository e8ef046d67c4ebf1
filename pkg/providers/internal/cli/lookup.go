package cli

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// resolve returns the path of c's binary. A bare name is searched in the PATH of c.Env, or
// in this process's PATH when c.Env has none; relative PATH entries are skipped, so a binary
// is never picked up from the working directory. It returns a *BinaryNotFoundError.
func (c *Cmd) resolve() (string, error) {
	if strings.Contains(c.Path, "/") {
		if err := checkExecutable(c.Path); err != nil {
			return "", &BinaryNotFoundError{Binary: c.Path, Setting: c.Setting, Err: err}
		}
		return c.Path, nil
	}
	pathList, ok := envValue(c.Env, "PATH")
	if !ok {
		p, err := exec.LookPath(c.Path)
		if err != nil {
			return "", &BinaryNotFoundError{Binary: c.Path, Setting: c.Setting, PATH: os.Getenv("PATH"), Err: err}
		}
		return p, nil
	}
	if c.Path != "" {
		for _, dir := range filepath.SplitList(pathList) {
			if !filepath.IsAbs(dir) {
				continue
			}
			p := filepath.Join(dir, c.Path)
			if checkExecutable(p) == nil {
				return p, nil
			}
		}
	}
	return "", &BinaryNotFoundError{Binary: c.Path, Setting: c.Setting, PATH: pathList, Err: exec.ErrNotFound}
}

// checkExecutable returns nil for an existing regular file with an execute bit.
func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fs.ErrPermission
	}
	return nil
}

// envValue returns the value of the last KEY=VALUE entry for key, as the C library reads it.
func envValue(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// errNoPath is returned for a Cmd without a Path.
var errNoPath = errors.New("cli: Cmd.Path is empty")
