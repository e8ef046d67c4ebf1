package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/runner"
)

// termOutput is the local commands' console: runner.ConsoleOutput's lines, with progress steps
// on one live line that each step rewrites when w is a terminal (plain lines otherwise), and
// warnings, errors and the live line coloured unless NO_COLOR is set.
type termOutput struct {
	*runner.ConsoleOutput
	w     io.Writer
	live  bool // w is a terminal: progress rewrites one line
	color bool

	mu      sync.Mutex
	showing bool // a live progress line is on screen
}

// newTermOutput writes to w; live progress and colour only when w is a terminal, colour
// also not when NO_COLOR is set (to anything, https://no-color.org).
func newTermOutput(w io.Writer, getenv func(string) string) *termOutput {
	tty := isTerminal(w)
	return &termOutput{ConsoleOutput: &runner.ConsoleOutput{W: w}, w: w, live: tty, color: tty && getenv("NO_COLOR") == ""}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

const (
	ansiDim    = "\x1b[2m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
	ansiReset  = "\x1b[0m"
	clearLine  = "\r\x1b[K"
)

func (o *termOutput) paint(code, s string) string {
	if !o.color {
		return s
	}
	return code + s + ansiReset
}

// settle clears a live progress line so the next line starts on a clean row.
func (o *termOutput) settle() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.showing {
		io.WriteString(o.w, clearLine)
		o.showing = false
	}
}

// Progress implements runner.ProgressOutput.
func (o *termOutput) Progress(line string) {
	if !o.live {
		o.ConsoleOutput.Log(line)
		return
	}
	line = strings.ReplaceAll(strings.TrimRight(line, "\n"), "\n", " ")
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.w, "%s%s", clearLine, o.paint(ansiDim, "… "+line))
	o.showing = true
}

// Group implements runner.Output.
func (o *termOutput) Group(title string) { o.settle(); o.ConsoleOutput.Group(title) }

// Log implements runner.Output.
func (o *termOutput) Log(line string) { o.settle(); o.ConsoleOutput.Log(line) }

// Notice implements runner.Output.
func (o *termOutput) Notice(msg string) { o.settle(); o.ConsoleOutput.Notice(msg) }

// Warning implements runner.Output.
func (o *termOutput) Warning(msg string, pos *runner.Position) {
	o.settle()
	o.ConsoleOutput.Warning(o.paint(ansiYellow, msg), pos)
}

// Error implements runner.Output.
func (o *termOutput) Error(msg string, pos *runner.Position) {
	o.settle()
	o.ConsoleOutput.Error(o.paint(ansiRed, msg), pos)
}

// Summary implements runner.Output.
func (o *termOutput) Summary(md string) error { o.settle(); return o.ConsoleOutput.Summary(md) }

// SetOutputs implements runner.Output.
func (o *termOutput) SetOutputs(out action.Outputs) error {
	o.settle()
	return o.ConsoleOutput.SetOutputs(out)
}

// localResult is what `local VERB -json` prints: one object, the job's outcome.
type localResult struct {
	Command     string            `json:"command"`
	Environment string            `json:"environment,omitempty"`
	Provider    string            `json:"provider,omitempty"`
	Phase       string            `json:"phase"`
	State       string            `json:"state,omitempty"`
	URL         string            `json:"url,omitempty"`
	Connect     string            `json:"connect,omitempty"`
	JobID       string            `json:"job_id,omitempty"`
	DurationMS  int64             `json:"duration_ms,omitempty"`
	Warnings    []string          `json:"warnings,omitempty"`
	Error       string            `json:"error,omitempty"`
	Status      *providers.Status `json:"status,omitempty"`
	Plan        *providers.Plan   `json:"plan,omitempty"`
	ExitCode    int               `json:"exit_code"`
	Problems    []string          `json:"problems,omitempty"`
}

// jsonOutput is the console of `local VERB -json`: everything for people goes to the
// terminal output (stderr), and the job's final view is kept for one JSON object on stdout.
type jsonOutput struct {
	*termOutput
	mu     sync.Mutex
	view   *action.View
	errors []string
}

// Result implements runner.ResultOutput.
func (o *jsonOutput) Result(v action.View) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.view = &v
}

// Error implements runner.Output: errors before a job ran (a bad config) are kept as problems.
func (o *jsonOutput) Error(msg string, pos *runner.Position) {
	o.mu.Lock()
	o.errors = append(o.errors, posPrefixOf(pos)+msg)
	o.mu.Unlock()
	o.termOutput.Error(msg, pos)
}

func posPrefixOf(pos *runner.Position) string {
	if pos == nil || pos.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d: ", pos.File, pos.Line, pos.Col)
}

// write prints the result of the job run with command verb and exit code code.
func (o *jsonOutput) write(w io.Writer, verb string, code int) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := localResult{Command: verb, Phase: string(action.PhaseFailed), ExitCode: code, Problems: o.errors}
	if v := o.view; v != nil {
		r.Environment, r.Provider, r.Phase, r.URL, r.Connect, r.JobID = v.Env, v.Provider, string(v.Phase), v.URL, v.Connect, v.JobID
		if v.State != providers.StateUnknown {
			r.State = v.State.String()
		}
		r.DurationMS, r.Warnings, r.Error, r.Status, r.Plan = v.Duration.Milliseconds(), v.Warnings, v.Error, v.Status, v.Plan
	} else if len(o.errors) > 0 {
		r.Error = o.errors[0]
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
