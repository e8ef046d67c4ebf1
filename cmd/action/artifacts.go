package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/runner"
)

// artifactsOutput is the output of `local plan -artifacts DIR`: the plan reaches it with the
// step outputs, and its rendered artifacts (Plan.Artifacts) are written into dir.
type artifactsOutput struct {
	runner.Output
	dir string
	// planned says a plan arrived; written and err are what writing its artifacts gave.
	planned bool
	written []string
	err     error
}

// SetOutputs implements runner.Output.
func (o *artifactsOutput) SetOutputs(out action.Outputs) error {
	if plan, ok := out.Plan.(*providers.Plan); ok && plan != nil {
		o.planned = true
		o.written, o.err = writeArtifacts(o.dir, plan.Artifacts)
	}
	return o.Output.SetOutputs(out)
}

// Progress implements runner.ProgressOutput for the wrapped output.
func (o *artifactsOutput) Progress(line string) {
	if po, ok := o.Output.(runner.ProgressOutput); ok {
		po.Progress(line)
		return
	}
	o.Output.Log(line)
}

// Result implements runner.ResultOutput for the wrapped output.
func (o *artifactsOutput) Result(v action.View) {
	if ro, ok := o.Output.(runner.ResultOutput); ok {
		ro.Result(v)
	}
}

// writeArtifacts writes each artifact (file name → content) into dir, creating dir and the
// directories a name has (mode 0755) and the files (mode 0644, replacing what is there). Every
// name is checked before anything is written: it must be relative and stay inside dir
// (no "..", not absolute), and no part of it may be a symlink already present in dir. It
// returns the paths written, in name order; on a refused name, none.
func writeArtifacts(dir string, artifacts map[string]string) ([]string, error) {
	names := make([]string, 0, len(artifacts))
	for name := range artifacts {
		names = append(names, name)
	}
	slices.Sort(names)
	var errs []error
	for _, name := range names {
		if err := checkArtifactName(name); err != nil {
			errs = append(errs, fmt.Errorf("artifact %q: %w", name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("refused, nothing written: %w", err)
	}
	if err := mkdir(dir); err != nil {
		return nil, fmt.Errorf("artifacts directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("artifacts directory: %w", err)
	}
	defer root.Close()
	for _, name := range names {
		if err := noSymlink(root, name); err != nil {
			errs = append(errs, fmt.Errorf("artifact %q: %w", name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("refused, nothing written: %w", err)
	}
	var written []string
	for _, name := range names {
		if parent := filepath.Dir(name); parent != "." {
			if err := root.MkdirAll(parent, 0o755); err != nil {
				return written, fmt.Errorf("artifact %q: %w", name, err)
			}
		}
		if err := root.WriteFile(name, []byte(artifacts[name]), 0o644); err != nil {
			return written, fmt.Errorf("artifact %q: %w", name, err)
		}
		// WriteFile's mode is cut by the umask, and an existing file keeps its own.
		if err := root.Chmod(name, 0o644); err != nil {
			return written, fmt.Errorf("artifact %q: %w", name, err)
		}
		written = append(written, filepath.Join(dir, name))
	}
	return written, nil
}

// mkdir creates dir with mode 0755 when it does not exist (whatever the umask).
func mkdir(dir string) error {
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.Chmod(dir, 0o755)
}

// checkArtifactName refuses a name that would leave the directory: empty, absolute, with a
// ".." element, or otherwise not local to it.
func checkArtifactName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case filepath.IsAbs(name) || strings.HasPrefix(name, "/"):
		return errors.New("absolute names are refused")
	case slices.Contains(strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == filepath.Separator }), ".."):
		return errors.New(`names with ".." are refused`)
	case !filepath.IsLocal(name):
		return errors.New("the name leaves the directory")
	}
	return nil
}

// noSymlink refuses a (checked) name that goes through, or is, a symlink present in root.
func noSymlink(root *os.Root, name string) error {
	var prefix string
	for _, part := range strings.Split(filepath.Clean(name), string(filepath.Separator)) {
		prefix = filepath.Join(prefix, part)
		fi, err := root.Lstat(prefix)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symlink in the directory; remove it or choose another directory", prefix)
		}
	}
	return nil
}
