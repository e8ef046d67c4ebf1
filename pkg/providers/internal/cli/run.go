package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Result is what a command that ran left behind.
type Result struct {
	// ExitCode is the exit code, or -1 when a signal killed the command.
	ExitCode int
	// Stdout and Stderr are the last Cmd.TailLines lines of each stream, redacted.
	Stdout, Stderr []string
}

// Run runs c and returns once it has exited and its output has been read.
//
// The command runs in its own process group with exactly c.Env as its environment. Its
// stdout and stderr lines go to c.Reporter as they come (see Cmd for limits and redaction).
// When ctx ends first, the group gets SIGINT, then SIGTERM after c.InterruptGrace, then
// SIGKILL after c.TerminateGrace; once the command has exited, whatever is left of its group
// is killed.
//
// Errors: a *SecretInArgsError (ErrSecretInArgs) before starting when Args hold a secret; a
// *BinaryNotFoundError when the binary cannot be found or run; an *ExitError when the command
// fails, matching ctx.Err() when it was stopped by cancellation, else the error of
// c.ExitCodes or c.Classify; the error of a write to c.Stdout after a successful run. The
// Result is non-nil whenever the command started.
func Run(ctx context.Context, c Cmd) (res *Result, err error) {
	if c.Path == "" {
		return nil, errNoPath
	}
	defer func() { c.report(ctx, res, err) }()
	c = c.withDefaults()
	red := c.redactor()
	if err := c.checkArgs(red); err != nil {
		return nil, err
	}
	path, err := c.resolve()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", c.name(), err)
	}

	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name(), err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(outR, outW)
		return nil, fmt.Errorf("%s: %w", c.name(), err)
	}
	env := c.Env
	if env == nil {
		env = []string{} // nil would make os/exec inherit this process's environment
	}
	cmd := &exec.Cmd{
		Path:        path,
		Args:        append([]string{c.Path}, c.Args...),
		Env:         env,
		Dir:         c.Dir,
		Stdin:       c.Stdin,
		Stdout:      outW,
		Stderr:      errW,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
		WaitDelay:   c.OutputWait, // bounds the copy of a non-file Stdin
	}
	err = cmd.Start()
	closeAll(outW, errW) // the child holds its own copies
	if err != nil {
		closeAll(outR, errR)
		return nil, &BinaryNotFoundError{Binary: c.Path, Setting: c.Setting, Err: err}
	}
	pgid := cmd.Process.Pid

	lim := newLimiter(c.Reporter, c.LinesPerSecond)
	m := margin(c.longestSecret())
	stdout := &stream{red: red, max: c.MaxLineBytes, margin: m, lim: lim, quiet: c.Stdout != nil, tail: tail{n: c.TailLines}}
	stderr := &stream{red: red, max: c.MaxLineBytes, margin: m, lim: lim, tail: tail{n: c.TailLines}}
	var readers sync.WaitGroup
	var stdoutErr error // a failed write to c.Stdout; the pipe is drained anyway
	readers.Go(func() {
		if stdoutErr = stdout.read(teeTo(outR, c.Stdout)); stdoutErr != nil {
			_, _ = io.Copy(io.Discard, outR)
		}
	})
	readers.Go(func() { _ = stderr.read(errR) })

	exited := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		stopGroup(ctx, pgid, exited, c.InterruptGrace, c.TerminateGrace)
	}()
	waitErr := cmd.Wait()
	close(exited)
	<-stopped
	cancelled := ctx.Err() != nil
	if cancelled {
		killGroup(pgid)
	}
	if !waitFor(&readers, c.OutputWait) {
		killGroup(pgid) // a process of the group still holds the pipes
		if !waitFor(&readers, c.OutputWait) {
			closeAll(outR, errR) // unblocks the readers
			readers.Wait()
		}
	}
	closeAll(outR, errR)
	lim.flush()

	res = &Result{ExitCode: cmd.ProcessState.ExitCode(), Stdout: stdout.tail.lines, Stderr: stderr.tail.lines}
	if waitErr == nil && !cancelled {
		if stdoutErr != nil {
			return res, fmt.Errorf("%s: reading stdout: %w", c.name(), stdoutErr)
		}
		return res, nil
	}
	ee := &ExitError{Name: c.name(), Code: res.ExitCode, Stdout: res.Stdout, Stderr: res.Stderr}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		ee.Signal = ws.Signal().String()
	}
	var exitErr *exec.ExitError
	switch {
	case cancelled:
		ee.Err = ctx.Err()
	case waitErr != nil && !errors.As(waitErr, &exitErr):
		ee.Err = waitErr // an I/O error copying Stdin
	case c.ExitCodes[res.ExitCode] != nil:
		ee.Err = c.ExitCodes[res.ExitCode]
	case c.Classify != nil:
		ee.Err = c.Classify(ee)
	}
	return res, ee
}

// report tells the process's providers.RequestObserver how the run ended.
func (c *Cmd) report(ctx context.Context, res *Result, err error) {
	status := "ok"
	switch {
	case res == nil:
		status = "not_started"
	case ctx.Err() != nil:
		status = "canceled"
	case err != nil:
		status = "failed"
	}
	prov := c.Provider
	if prov == "" {
		prov = filepath.Base(c.Path)
	}
	providers.ReportAPIRequest(providers.APIRequest{Provider: prov, Operation: c.name(), Status: status})
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		_ = f.Close() // a second Close only reports os.ErrClosed
	}
}
