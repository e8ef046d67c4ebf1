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
	"github.com/sindri/deploy/v3/pkg/secrets"
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

// ProgressOutput is an Output that shows a job's progress steps apart from its log lines (a
// terminal's live status line); an Output without it gets them through Log.
type ProgressOutput interface {
	Progress(line string)
}

// ResultOutput is an Output that takes the job's final view as data (the local commands'
// -json); Run hands it over once, next to the summary.
type ResultOutput interface {
	Result(v action.View)
}

// ActionOutput writes through the GitHub Actions runner's workflow commands and environment
// files (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT).
//
// Untrusted lines (Log) are only ever written inside a ::stop-commands:: region, because the
// runner reads a workflow command from a line after trimming its leading whitespace, and a
// legacy ##[command] anywhere in a line. Every command ActionOutput issues itself (groups,
// annotations, masks) first ends the region and, inside a group, resumes it with a fresh token.
type ActionOutput struct {
	A *githubactions.Action
	W io.Writer
	// Redact is applied to the step outputs, after the values registered through Mask; nil
	// means only those.
	Redact action.Redactor

	mu      sync.Mutex
	token   string // stop-commands token while a region is open
	inGroup bool   // the region belongs to a group and is resumed after a command
	masked  []secrets.Value
}

var _ Output = (*ActionOutput)(nil)

// stopLocked opens a stop-commands region with a fresh, unguessable token.
func (o *ActionOutput) stopLocked() {
	o.token = randomToken()
	fmt.Fprintf(o.W, "::stop-commands::%s\n", o.token)
}

// resumeLocked ends the open stop-commands region, if any, so commands are read again.
func (o *ActionOutput) resumeLocked() {
	if o.token != "" {
		fmt.Fprintf(o.W, "::%s::\n", o.token)
		o.token = ""
	}
}

// command issues one workflow command through issue: the open region is ended first (inside
// it the runner would print the command as text) and a group's region is resumed afterwards
// under a new token.
func (o *ActionOutput) command(issue func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.resumeLocked()
	issue()
	if o.inGroup {
		o.stopLocked()
	}
}

// Group implements Output. Untrusted provider lines follow, so workflow commands are switched
// off with ::stop-commands:: until EndGroup.
func (o *ActionOutput) Group(title string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.resumeLocked()
	o.A.Group(oneLine(title))
	o.inGroup = true
	o.stopLocked()
}

// EndGroup implements Output.
func (o *ActionOutput) EndGroup() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.resumeLocked()
	o.inGroup = false
	o.A.EndGroup()
}

// Log implements Output. The line is written inside a stop-commands region: the group's, or
// outside a group one opened and closed around it, so no region outlives the call and the
// step's later output (and the steps after it) keep their commands.
func (o *ActionOutput) Log(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.token == "" {
		o.stopLocked()
		if !o.inGroup {
			defer o.resumeLocked()
		}
	}
	for _, l := range strings.Split(strings.TrimRight(line, "\n"), "\n") {
		fmt.Fprintln(o.W, l)
	}
}

// Mask registers secret with the runner's log masker (::add-mask::) and redacts it, in its
// encoded forms too, from the step outputs. Runner.Deps.Mask should be this method.
func (o *ActionOutput) Mask(secret string) {
	if secret == "" {
		return
	}
	o.command(func() {
		o.A.AddMask(secret)
		o.masked = append(o.masked, secrets.New(secret))
	})
}

// Notice implements Output.
func (o *ActionOutput) Notice(msg string) { o.command(func() { o.A.Noticef("%s", msg) }) }

// Warning implements Output.
func (o *ActionOutput) Warning(msg string, pos *Position) {
	o.command(func() { o.withPos(pos).Warningf("%s", msg) })
}

// Error implements Output.
func (o *ActionOutput) Error(msg string, pos *Position) {
	o.command(func() { o.withPos(pos).Errorf("%s", msg) })
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

// Summary implements Output. Values registered through Mask are redacted from it as well.
func (o *ActionOutput) Summary(markdown string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write job summary: %v", r)
		}
	}()
	o.mu.Lock()
	masks := secrets.NewRedactor(o.masked...)
	o.mu.Unlock()
	o.A.AddStepSummary(masks.Redact(markdown))
	return nil
}

// SetOutputs implements Output. Every value is redacted with the values registered through
// Mask and then with Redact; line breaks in every output but plan (JSON, already one line)
// are flattened to spaces, so no value can spill into the output file's next line.
func (o *ActionOutput) SetOutputs(out action.Outputs) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write step outputs: %v", r)
		}
	}()
	o.mu.Lock()
	masks := secrets.NewRedactor(o.masked...)
	o.mu.Unlock()
	redact := func(s string) string {
		s = masks.Redact(s)
		if o.Redact != nil {
			s = o.Redact(s)
		}
		return s
	}
	out.JobID, out.Environment, out.Status = oneLine(out.JobID), oneLine(out.Environment), oneLine(out.Status)
	out.URL, out.Connect = oneLine(out.URL), oneLine(out.Connect)
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
