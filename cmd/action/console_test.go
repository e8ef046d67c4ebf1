package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/runner"
)

// TestTermOutputProgress: on a terminal progress steps rewrite one live line that the next
// ordinary line clears first, coloured unless NO_COLOR; elsewhere they are plain lines.
func TestTermOutputProgress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		live, color bool
		want        string
	}{
		{"pipe", false, false, "  pull (1/6)\n  pull (2/6)\n  done\n"},
		{"terminal", true, true, "\r\x1b[K\x1b[2m… pull (1/6)\x1b[0m\r\x1b[K\x1b[2m… pull (2/6)\x1b[0m\r\x1b[K  done\n"},
		{"terminal with NO_COLOR", true, false, "\r\x1b[K… pull (1/6)\r\x1b[K… pull (2/6)\r\x1b[K  done\n"},
	} {
		var b bytes.Buffer
		o := &termOutput{ConsoleOutput: &runner.ConsoleOutput{W: &b}, w: &b, live: tc.live, color: tc.color}
		var out runner.Output = o
		po, ok := out.(runner.ProgressOutput)
		if !ok {
			t.Fatal("termOutput is not a runner.ProgressOutput")
		}
		po.Progress("pull (1/6)")
		po.Progress("pull (2/6)")
		out.Log("done")
		if got := b.String(); got != tc.want {
			t.Errorf("%s: wrote %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestNewTermOutput: a file that is not a terminal gets plain lines and no colour; colour needs
// a terminal and no NO_COLOR.
func TestNewTermOutput(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o := newTermOutput(f, noEnv)
	if o.live || o.color {
		t.Errorf("a regular file: live %t colour %t, want neither", o.live, o.color)
	}
	o.Warning("careful", nil)
	f.Sync()
	b, _ := os.ReadFile(f.Name())
	if strings.Contains(string(b), "\x1b[") {
		t.Errorf("escape codes written to a file: %q", b)
	}
}
