package vm

import (
	"bytes"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// CheckExec runs commands in s's running instance through p.Exec, against an SSH fake or a
// real sshd, and requires each one's output, standard error apart, and exit code: words that
// a shell would split, expand or end a command at arrive as they are; no standard input
// reaches the command; a signal is 128 plus its number (the shell may say so on stderr).
func CheckExec(t *testing.T, p *Provider, s *providers.Spec) {
	t.Helper()
	for _, tc := range []struct {
		name           string
		cmd            []string
		stdout, stderr string
		code           int
		anyStderr      bool
	}{
		{"output", []string{"echo", "hello"}, "hello\n", "", 0, false},
		{"exit code", []string{"sh", "-c", "exit 3"}, "", "", 3, false},
		{"one word per argument", []string{"printf", `[%s]\n`, "a b", "it's", "$HOME", "x;y", `"dq"`, "", "*", "`id`", `a\b`, "$(id)|&"},
			"[a b]\n[it's]\n[$HOME]\n[x;y]\n[\"dq\"]\n[]\n[*]\n[`id`]\n[a\\b]\n[$(id)|&]\n", "", 0, false},
		{"stderr apart", []string{"sh", "-c", "echo out; echo err >&2; exit 1"}, "out\n", "err\n", 1, false},
		{"no stdin", []string{"cat"}, "", "", 0, false},
		{"signal", []string{"sh", "-c", "kill -TERM $$"}, "", "", 128 + 15, true},
	} {
		var stdout, stderr bytes.Buffer
		code, err := p.Exec(t.Context(), s, tc.cmd, &stdout, &stderr)
		if err != nil {
			t.Errorf("%s: Exec(%q) = %v", tc.name, tc.cmd, err)
			continue
		}
		if code != tc.code || stdout.String() != tc.stdout || (stderr.String() != tc.stderr && !tc.anyStderr) {
			t.Errorf("%s: Exec(%q) = %d, stdout %q, stderr %q; want %d, %q, %q", tc.name, tc.cmd, code, stdout.String(), stderr.String(), tc.code, tc.stdout, tc.stderr)
		}
	}
}
