package shellword_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/internal/shellword"
)

// TestJoinRoundTrip has a real POSIX shell split each joined line back into its words.
func TestJoinRoundTrip(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh in PATH")
	}
	tests := []struct {
		name  string
		words []string
	}{
		{"plain", []string{"echo", "hi", "a=b", "./x"}},
		{"spaces", []string{"a b", "  lead", "tab\there"}},
		{"quotes", []string{"it's", `say "hi"`, `'`, `''`}},
		{"expansions", []string{"$HOME", "${X:-y}", "$(id)", "`id`", "*", "~", "!x"}},
		{"operators", []string{"x;y", "a&&b", "a|b", ">out", "<in", "#c", "(s)"}},
		{"empty and newline", []string{"", "two\nlines", `back\slash`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			line := shellword.Join(tt.words)
			// printf prints each word it gets between markers; the shell splits the line.
			out, err := exec.Command(sh, "-c", "printf '[%s]' "+line).Output()
			if err != nil {
				t.Fatalf("sh -c %q: %v", line, err)
			}
			var want strings.Builder
			for _, w := range tt.words {
				want.WriteString("[" + w + "]")
			}
			if got := string(out); got != want.String() {
				t.Errorf("Join(%q) = %s\nthe shell split it into %q, want %q", tt.words, line, got, want.String())
			}
		})
	}
}

func TestQuoteLeavesPlainWordsBare(t *testing.T) {
	t.Parallel()
	for w, want := range map[string]string{"echo": "echo", "a/b.c": "a/b.c", "": "''", "A=b": "'A=b'", "a b": "'a b'", "it's": `'it'\''s'`, "if": "'if'", "done": "'done'"} {
		if got := shellword.Quote(w); got != want {
			t.Errorf("Quote(%q) = %s, want %s", w, got, want)
		}
	}
}

// TestJoinFirstWordIsTheCommand: a first word that looks like NAME=value is run as the
// command, not taken as an assignment.
func TestJoinFirstWordIsTheCommand(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh in PATH")
	}
	err = exec.Command(sh, "-c", shellword.Join([]string{"SINDRI_NO_SUCH_CMD=1"})).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 127 {
		t.Errorf("sh -c %s: %v, want exit 127 (command not found)", shellword.Join([]string{"SINDRI_NO_SUCH_CMD=1"}), err)
	}
}

// TestJoinFirstWordIsNeverSyntax: a first word that bash would take as syntax (a reserved word)
// is run as a command, so a missing one is "command not found" (127), not a syntax error.
func TestJoinFirstWordIsNeverSyntax(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash in PATH")
	}
	for _, w := range []string{"if", "do", "done", "case", "coproc", "function", "while", "select", "until"} {
		line := shellword.Join([]string{w, "x"})
		err := exec.Command(bash, "-c", line).Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 127 {
			t.Errorf("bash -c %s: %v, want exit 127 (command not found)", line, err)
		}
	}
}
