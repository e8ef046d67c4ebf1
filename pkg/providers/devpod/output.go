package devpod

import (
	"errors"
	"regexp"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
)

// failureLines is how many of devpod's last lines a failure reports.
const failureLines = 20

// ansi matches the colour codes devpod prints even without a terminal.
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// plainReporter strips devpod's colour codes from the lines it passes on.
type plainReporter struct{ providers.Reporter }

// Log implements providers.Reporter.
func (r plainReporter) Log(line string) { r.Reporter.Log(ansi.ReplaceAllString(line, "")) }

// reportTail reports the last lines devpod printed before failing (stdout first: devpod puts
// the useful reason there as info lines), prefixed with the workspace id. The runner has
// already redacted and bounded them.
func reportTail(r providers.Reporter, id string, err error) {
	var ee *cli.ExitError
	if !errors.As(err, &ee) {
		return
	}
	lines := append(append([]string{}, ee.Stdout...), ee.Stderr...)
	if len(lines) > failureLines {
		lines = lines[len(lines)-failureLines:]
	}
	for _, l := range lines {
		if l = strings.TrimSpace(ansi.ReplaceAllString(l, "")); l != "" {
			r.Log(id + ": " + l)
		}
	}
}

// saidLines is how many of devpod's last stdout lines a failure's error quotes.
const saidLines = 5

// withTail adds devpod's last stdout lines to a failed call's error: its stderr ends in a
// generic fatal line ("run agent command: Process exited with status 1") while the reason is
// an info line on stdout.
func withTail(err error) error {
	var ee *cli.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	var said []string
	for i := len(ee.Stdout) - 1; i >= 0 && len(said) < saidLines; i-- {
		if l := strings.TrimSpace(ansi.ReplaceAllString(ee.Stdout[i], "")); l != "" {
			said = append([]string{l}, said...)
		}
	}
	if len(said) == 0 {
		return err
	}
	return &tailError{err: err, tail: strings.Join(said, " | ")}
}

// tailError is an error with devpod's last output lines; it unwraps to the runner's error.
type tailError struct {
	err  error
	tail string
}

func (e *tailError) Error() string {
	return ansi.ReplaceAllString(e.err.Error(), "") + " (devpod output: " + e.tail + ")"
}
func (e *tailError) Unwrap() error { return e.err }
