package cli

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSecretInArgs is matched by the error Run returns when a declared secret appears in Args.
var ErrSecretInArgs = errors.New("secret value in command arguments")

// SecretInArgsError reports which argument held a secret, never the argument itself.
type SecretInArgsError struct {
	Name  string // the command, without arguments
	Index int    // 1-based position in Args
}

// Error implements error.
func (e *SecretInArgsError) Error() string {
	return fmt.Sprintf("%s: argument %d holds a secret value: pass it on stdin or in a secret file", e.Name, e.Index)
}

// Unwrap returns ErrSecretInArgs.
func (e *SecretInArgsError) Unwrap() error { return ErrSecretInArgs }

// BinaryNotFoundError reports a binary that could not be found or run, with the setting that
// chooses it. It matches exec.ErrNotFound when the binary was looked up by name and not found.
type BinaryNotFoundError struct {
	Binary  string // Cmd.Path as given
	Setting string // Cmd.Setting
	PATH    string // the PATH searched, for a bare name (kept for callers; never printed)
	Err     error
}

// Error implements error.
func (e *BinaryNotFoundError) Error() string {
	where := ""
	if !strings.Contains(e.Binary, "/") {
		// The variable is named, not its value: a PATH can hold user names and private paths.
		where = " in any directory of PATH"
	}
	fix := "install it or give its full path"
	if e.Setting != "" {
		fix = fmt.Sprintf("install it or set %s to its full path", e.Setting)
	}
	return fmt.Sprintf("executable %q not found%s (%v): %s", e.Binary, where, e.Err, fix)
}

// Unwrap returns the lookup error.
func (e *BinaryNotFoundError) Unwrap() error { return e.Err }

// ExitError is the error of a command that ran and failed: it exited with a non-zero code,
// was killed by a signal, or was stopped because its context ended.
type ExitError struct {
	// Name is the command, without argument values (Cmd.Name).
	Name string
	// Code is the exit code, or -1 when the command was killed by a signal.
	Code int
	// Signal is the signal that killed it, or "".
	Signal string
	// Stdout and Stderr are the last lines of each stream, redacted and bounded.
	Stdout, Stderr []string
	// Err is what the failure matches with errors.Is: the context's error when the command
	// was stopped by cancellation, else the error Cmd.ExitCodes or Cmd.Classify gave, or nil.
	Err error
}

// Error implements error: the command, how it ended and its last output line.
func (e *ExitError) Error() string {
	var b strings.Builder
	b.WriteString(e.Name)
	if e.Signal != "" {
		fmt.Fprintf(&b, ": killed by %s", e.Signal)
	} else {
		fmt.Fprintf(&b, ": exit code %d", e.Code)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	if l := e.LastLine(); l != "" {
		b.WriteString(": ")
		b.WriteString(l)
	}
	return b.String()
}

// Unwrap returns Err.
func (e *ExitError) Unwrap() error { return e.Err }

// LastLine returns the last non-blank line of stderr, or of stdout when stderr has none.
func (e *ExitError) LastLine() string {
	for _, lines := range [][]string{e.Stderr, e.Stdout} {
		for i := len(lines) - 1; i >= 0; i-- {
			if strings.TrimSpace(lines[i]) != "" {
				return lines[i]
			}
		}
	}
	return ""
}

// Tail returns stderr's then stdout's tail lines joined by newlines, for Classify.
func (e *ExitError) Tail() string {
	return strings.Join(append(append([]string{}, e.Stderr...), e.Stdout...), "\n")
}
