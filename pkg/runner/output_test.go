package runner

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/sindri/deploy/v3/pkg/action"
)

// workflowCommands replays log as the GitHub Actions runner reads it and returns the commands
// it would execute, as "name data". The rules are the runner's: a line is trimmed before it is
// parsed as ::name params::data, a legacy ##[name params]data is found anywhere in a line, and
// after ::stop-commands::TOKEN nothing runs until a line that is exactly ::TOKEN::.
func workflowCommands(log string) []string {
	var cmds []string
	stopToken := ""
	for _, line := range strings.Split(log, "\n") {
		l := strings.TrimSpace(line)
		if stopToken != "" {
			if l == "::"+stopToken+"::" {
				stopToken = ""
			}
			continue
		}
		if rest, ok := strings.CutPrefix(l, "::"); ok {
			head, data, ok := strings.Cut(rest, "::")
			if !ok {
				continue
			}
			name, _, _ := strings.Cut(head, " ")
			if name == "stop-commands" {
				stopToken = data
				continue
			}
			cmds = append(cmds, name+" "+data)
			continue
		}
		if i := strings.Index(l, "##["); i >= 0 {
			head, data, ok := strings.Cut(l[i+3:], "]")
			if ok {
				name, _, _ := strings.Cut(head, " ")
				cmds = append(cmds, name+" "+data)
			}
		}
	}
	return cmds
}

// hostileLines are provider log lines that try to run workflow commands.
var hostileLines = []string{
	"::set-output name=url::https://evil.example",
	"  ::add-mask::nothing",
	"\t::error::pwned",
	"::endgroup::",
	"::stop-commands::attacker",
	"progress 50% ##[set-output name=url;]https://evil.example",
	"##[error]pwned",
	"multi\n ::warning::second line",
}

func newActionOutput(t *testing.T, getenv func(string) string) (*ActionOutput, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	a := githubactions.New(githubactions.WithWriter(&buf), githubactions.WithGetenv(getenv))
	return &ActionOutput{A: a, W: &buf}, &buf
}

func TestActionOutputLogNeverRunsCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(o *ActionOutput)
		want []string
	}{
		{"outside a group", func(o *ActionOutput) {
			for _, l := range hostileLines {
				o.Log(l)
			}
		}, nil},
		{"inside a group", func(o *ActionOutput) {
			o.Group("deploy")
			for _, l := range hostileLines {
				o.Log(l)
			}
			o.EndGroup()
		}, []string{"group deploy", "endgroup "}},
		{"after a notice inside a group", func(o *ActionOutput) {
			o.Group("follow")
			o.Log("starting")
			o.Notice("superseded by a newer run")
			for _, l := range hostileLines {
				o.Log(l)
			}
			o.EndGroup()
		}, []string{"group follow", "notice superseded by a newer run", "endgroup "}},
		{"after a warning outside a group", func(o *ActionOutput) {
			o.Log("before")
			o.Warning("careful", nil)
			for _, l := range hostileLines {
				o.Log(l)
			}
		}, []string{"warning careful"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, buf := newActionOutput(t, nil)
			tc.run(o)
			if got := workflowCommands(buf.String()); !slices.Equal(got, tc.want) {
				t.Errorf("commands run = %q, want %q\nlog:\n%s", got, tc.want, buf)
			}
			// No region may stay open: a command written after the last call still runs.
			o.A.Noticef("end")
			if got := workflowCommands(buf.String()); len(got) == 0 || got[len(got)-1] != "notice end" {
				t.Errorf("a stop-commands region outlived the calls: commands %q", got)
			}
			for _, l := range hostileLines {
				for _, part := range strings.Split(l, "\n") {
					if !strings.Contains(buf.String(), part+"\n") {
						t.Errorf("log line %q was not written as it is", part)
					}
				}
			}
		})
	}
}

func TestActionOutputCommandsInsideGroupAreRun(t *testing.T) {
	t.Parallel()
	o, buf := newActionOutput(t, nil)
	o.Group("follow")
	o.Log("::error::from the provider")
	o.Notice("superseded")
	o.Log("::error::from the provider")
	o.Warning("slow", &Position{File: "sindri.yaml", Line: 3})
	o.Error("failed", nil)
	o.Mask("s3cr3t-value")
	o.Log("::error::from the provider")
	o.EndGroup()
	o.Error("after", nil)
	want := []string{"group follow", "notice superseded", "warning slow", "error failed",
		"add-mask s3cr3t-value", "endgroup ", "error after"}
	if got := workflowCommands(buf.String()); !slices.Equal(got, want) {
		t.Errorf("commands run = %q, want %q\nlog:\n%s", got, want, buf)
	}
}

// readOutputs parses a GITHUB_OUTPUT file as the runner does (name=value and heredoc
// name<<DELIMITER entries).
func readOutputs(t *testing.T, text string) map[string]string {
	t.Helper()
	got := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		if name, delim, ok := strings.Cut(lines[i], "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			got[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(lines[i], "=")
		if !ok {
			t.Fatalf("malformed output line %q", lines[i])
		}
		got[name] = val
	}
	return got
}

func TestActionOutputSetOutputsRedactsAndFlattens(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-value-91f2"
	path := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	o, _ := newActionOutput(t, func(k string) string {
		if k == "GITHUB_OUTPUT" {
			return path
		}
		return ""
	})
	o.Mask(secret)
	o.Redact = func(s string) string { return strings.ReplaceAll(s, "other-secret", "***") }
	err := o.SetOutputs(action.Outputs{
		JobID:       "job-1\nurl=https://evil.example",
		Environment: "pr-2\r\nstatus=ready",
		Status:      "ready",
		URL:         "https://x.example/?token=" + secret,
		Connect:     "ssh -o Token=other-secret host\nplan=pwned",
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secret) || strings.Contains(string(b), "other-secret") {
		t.Fatalf("step outputs leak a secret")
	}
	got := readOutputs(t, string(b))
	want := map[string]string{"job-id": "job-1 url=https://evil.example", "environment": "pr-2  status=ready",
		"status": "ready", "url": "https://x.example/?token=[redacted]", "connect": "ssh -o Token=*** host plan=pwned",
		"plan": ""}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("output %s = %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("outputs = %q, want exactly %d", got, len(want))
	}
}
