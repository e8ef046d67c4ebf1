package clitest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/secrets"
)

// marker is the argument the "#!" line passes to the test binary, before the fake's path.
const marker = "sindri-clitest-fake"

// Rule is a scripted reply: the first rule whose Args are a prefix of the call's arguments,
// and that has answers left, answers it. A call no rule matches exits 0 with no output.
type Rule struct {
	Args     []string `json:"args"`
	Stdout   string   `json:"stdout"`
	Stderr   string   `json:"stderr"`
	ExitCode int      `json:"exit_code"`
	// Max is how many calls the rule answers (0: any number); later calls fall through to
	// the next matching rule. It scripts a tool whose answer changes ("doesn't exist" before
	// a create, "Running" after), counted over the fake's recorded calls.
	Max int `json:"max,omitempty"`
}

// match returns the index of the rule that answers args, given how many calls each rule has
// answered so far, or -1.
func match(rules []Rule, answered []int, args []string) int {
	for i, r := range rules {
		if r.Max > 0 && answered[i] >= r.Max {
			continue
		}
		if len(r.Args) <= len(args) && slices.Equal(r.Args, args[:len(r.Args)]) {
			return i
		}
	}
	return -1
}

// Script configures a fake.
type Script struct {
	// Name is the tool's file name ("packer").
	Name string `json:"name"`
	// Rules are tried in order.
	Rules []Rule `json:"rules"`
	// Secrets are replaced by [redacted] in what is recorded (argv, env values, stdin).
	Secrets []string `json:"secrets"`
	// EnvValues records env entries as NAME=value; otherwise only the names are recorded.
	EnvValues bool `json:"env_values"`
}

// Call is one recorded invocation of the fake.
type Call struct {
	Args  []string `json:"args"`
	Env   []string `json:"env"` // sorted; NAME or NAME=value per Script.EnvValues
	Dir   string   `json:"dir"`
	Stdin string   `json:"stdin"`
}

// Fake is an installed fake tool.
type Fake struct {
	// Path is the fake's executable; configure the provider's binary setting with it.
	Path string
	// Dir is the directory holding it; put it on a PATH to have the fake found by name.
	Dir string
}

// New installs a fake tool in a new temporary directory of t and returns it. It fails t
// when the test binary cannot be found or the files cannot be written.
func New(t testing.TB, s Script) *Fake {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("clitest: %v", err)
	}
	dir := t.TempDir()
	f := &Fake{Path: filepath.Join(dir, s.Name), Dir: dir}
	js, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("clitest: %v", err)
	}
	if err := os.WriteFile(f.Path+".script.json", js, 0o600); err != nil {
		t.Fatalf("clitest: %v", err)
	}
	// Linux runs "#!" lines up to 255 bytes; a test binary's path is far shorter.
	if err := os.WriteFile(f.Path, []byte("#!"+self+" "+marker+"\n"), 0o755); err != nil {
		t.Fatalf("clitest: %v", err)
	}
	return f
}

// Calls returns the recorded invocations in order. It fails t when the record cannot be read.
func (f *Fake) Calls(t testing.TB) []Call {
	t.Helper()
	b, err := os.ReadFile(f.Path + ".calls.jsonl")
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("clitest: %v", err)
	}
	var calls []Call
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var c Call
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("clitest: calls record: %v", err)
		}
		calls = append(calls, c)
	}
	return calls
}

// Golden renders the recorded calls as stable text for golden.Compare: per call its argv
// (one argument a line, quoted), environment and stdin. The fake's own directory is shown as
// $FAKE in arguments and environment so that the text does not change between runs. It fails
// t like Calls.
func (f *Fake) Golden(t testing.TB) []byte {
	t.Helper()
	var b strings.Builder
	for i, c := range f.Calls(t) {
		fmt.Fprintf(&b, "call %d:\n  argv:\n", i+1)
		for _, a := range c.Args {
			fmt.Fprintf(&b, "    %q\n", strings.ReplaceAll(a, f.Dir, "$FAKE"))
		}
		b.WriteString("  env:\n")
		for _, e := range c.Env {
			fmt.Fprintf(&b, "    %q\n", strings.ReplaceAll(e, f.Dir, "$FAKE"))
		}
		if c.Stdin != "" {
			fmt.Fprintf(&b, "  stdin: %q\n", c.Stdin)
		}
	}
	return []byte(b.String())
}

// Main turns this process into the fake tool when it was started through a file written by
// New: it records the call, writes the matching rule's output and exits with its code. It
// returns at once in every other case. Call it first in TestMain.
func Main() {
	if len(os.Args) < 3 || os.Args[1] != marker {
		return
	}
	if err := fake(os.Args[2], os.Args[3:]); err != nil {
		fmt.Fprintf(os.Stderr, "clitest fake: %v\n", err)
		os.Exit(125)
	}
}

// fake is the body of Main for the fake at path called with args; it exits the process.
func fake(path string, args []string) error {
	js, err := os.ReadFile(path + ".script.json")
	if err != nil {
		return err
	}
	var s Script
	if err := json.Unmarshal(js, &s); err != nil {
		return err
	}
	stdin, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	vals := make([]secrets.Value, 0, len(s.Secrets))
	for _, v := range s.Secrets {
		vals = append(vals, secrets.New(v))
	}
	red := secrets.NewRedactor(vals...)
	wd, _ := os.Getwd() // only recorded; an unknown directory records as ""
	c := Call{Args: make([]string, 0, len(args)), Dir: wd, Stdin: red.Redact(string(stdin))}
	for _, a := range args {
		c.Args = append(c.Args, red.Redact(a))
	}
	for _, e := range os.Environ() {
		if !s.EnvValues {
			e, _, _ = strings.Cut(e, "=")
		}
		c.Env = append(c.Env, red.Redact(e))
	}
	sort.Strings(c.Env)
	// Replay the earlier calls to know how many each rule has answered.
	answered := make([]int, len(s.Rules))
	if b, err := os.ReadFile(path + ".calls.jsonl"); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var prev Call
			if l == "" || json.Unmarshal([]byte(l), &prev) != nil {
				continue
			}
			if i := match(s.Rules, answered, prev.Args); i >= 0 {
				answered[i]++
			}
		}
	}
	line, err := json.Marshal(c)
	if err != nil {
		return err
	}
	rec, err := os.OpenFile(path+".calls.jsonl", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := rec.Write(append(line, '\n')); err != nil {
		return err
	}
	if err := rec.Close(); err != nil {
		return err
	}
	if i := match(s.Rules, answered, c.Args); i >= 0 {
		r := s.Rules[i]
		_, _ = os.Stdout.WriteString(r.Stdout)
		_, _ = os.Stderr.WriteString(r.Stderr)
		os.Exit(r.ExitCode)
	}
	os.Exit(0)
	return nil
}
