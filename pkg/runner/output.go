package runner

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/sethvargo/go-githubactions"

	"github.com/sindri/deploy/v3/pkg/action"
)

// Position locates an annotation in a file of the repository.
type Position struct {
	File      string
	Line, Col int
}

// Output is where one invocation's user-visible results go: the workflow log (with groups),
// annotations, the job summary and the step outputs. Every string has been redacted before it
// reaches an Output.
type Output interface {
	// Group starts a collapsible group of log lines; EndGroup ends it.
	Group(title string)
	EndGroup()
	// Log writes one untrusted line (provider output): it must never be read as a workflow
	// command.
	Log(line string)
	Notice(msg string)
	Warning(msg string, pos *Position)
	Error(msg string, pos *Position)
	// Summary appends Markdown to the job summary.
	Summary(markdown string) error
	// SetOutputs sets the step outputs.
	SetOutputs(o action.Outputs) error
}

// ActionOutput writes through the GitHub Actions runner's workflow commands and environment
// files (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT).
type ActionOutput struct {
	A      *githubactions.Action
	W      io.Writer
	Redact action.Redactor

	mu    sync.Mutex
	token string // stop-commands token while inside a group of untrusted lines
}

var _ Output = (*ActionOutput)(nil)

// Group implements Output. Untrusted provider lines follow, so workflow commands are switched
// off with ::stop-commands:: until EndGroup.
func (o *ActionOutput) Group(title string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.A.Group(oneLine(title))
	o.token = randomToken()
	fmt.Fprintf(o.W, "::stop-commands::%s\n", o.token)
}

// EndGroup implements Output.
func (o *ActionOutput) EndGroup() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.token != "" {
		fmt.Fprintf(o.W, "::%s::\n", o.token)
		o.token = ""
	}
	o.A.EndGroup()
}

// Log implements Output. Outside a group, a line that looks like a workflow command is
// prefixed so the runner does not execute it.
func (o *ActionOutput) Log(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, l := range strings.Split(strings.TrimRight(line, "\n"), "\n") {
		if o.token == "" && strings.HasPrefix(strings.TrimSpace(l), "::") {
			l = " " + l
		}
		fmt.Fprintln(o.W, l)
	}
}

// Notice implements Output.
func (o *ActionOutput) Notice(msg string) { o.A.Noticef("%s", msg) }

// Warning implements Output.
func (o *ActionOutput) Warning(msg string, pos *Position) {
	o.withPos(pos).Warningf("%s", msg)
}

// Error implements Output.
func (o *ActionOutput) Error(msg string, pos *Position) {
	o.withPos(pos).Errorf("%s", msg)
}

func (o *ActionOutput) withPos(pos *Position) *githubactions.Action {
	if pos == nil || pos.File == "" {
		return o.A
	}
	m := map[string]string{"file": pos.File}
	if pos.Line > 0 {
		m["line"] = fmt.Sprint(pos.Line)
	}
	if pos.Col > 0 {
		m["col"] = fmt.Sprint(pos.Col)
	}
	return o.A.WithFieldsMap(m)
}

// Summary implements Output.
func (o *ActionOutput) Summary(markdown string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write job summary: %v", r)
		}
	}()
	o.A.AddStepSummary(markdown)
	return nil
}

// SetOutputs implements Output.
func (o *ActionOutput) SetOutputs(out action.Outputs) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write step outputs: %v", r)
		}
	}()
	redact := o.Redact
	if redact == nil {
		redact = action.NoRedaction
	}
	return action.WriteOutputs(o.A, out, redact)
}

// ConsoleOutput writes plain text for a terminal (the local commands and the demo).
type ConsoleOutput struct {
	W  io.Writer
	mu sync.Mutex
}

var _ Output = (*ConsoleOutput)(nil)

func (o *ConsoleOutput) printf(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.W, format, args...)
}

// Group implements Output.
func (o *ConsoleOutput) Group(title string) { o.printf("▶ %s\n", oneLine(title)) }

// EndGroup implements Output.
func (o *ConsoleOutput) EndGroup() {}

// Log implements Output.
func (o *ConsoleOutput) Log(line string) { o.printf("  %s\n", strings.TrimRight(line, "\n")) }

// Notice implements Output.
func (o *ConsoleOutput) Notice(msg string) { o.printf("notice: %s\n", msg) }

// Warning implements Output.
func (o *ConsoleOutput) Warning(msg string, pos *Position) {
	o.printf("%swarning: %s\n", posPrefix(pos), msg)
}

// Error implements Output.
func (o *ConsoleOutput) Error(msg string, pos *Position) {
	o.printf("%serror: %s\n", posPrefix(pos), msg)
}

// Summary implements Output.
func (o *ConsoleOutput) Summary(markdown string) error {
	o.printf("\n%s\n", strings.TrimRight(markdown, "\n"))
	return nil
}

// SetOutputs implements Output.
func (o *ConsoleOutput) SetOutputs(out action.Outputs) error {
	plan := ""
	if out.Plan != nil {
		b, err := json.Marshal(out.Plan)
		if err != nil {
			return fmt.Errorf("encode plan output: %w", err)
		}
		plan = string(b)
	}
	o.printf("\noutputs:\n  job-id=%s\n  environment=%s\n  status=%s\n  url=%s\n  connect=%s\n",
		out.JobID, out.Environment, out.Status, out.URL, out.Connect)
	if plan != "" {
		o.printf("  plan=%s\n", plan)
	}
	return nil
}

func posPrefix(pos *Position) string {
	if pos == nil || pos.File == "" {
		return ""
	}
	if pos.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: ", pos.File, pos.Line, pos.Col)
	}
	return pos.File + ": "
}

func oneLine(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "\r", " "), "\n", " ") }

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "sindri-" + hex.EncodeToString(b)
}
