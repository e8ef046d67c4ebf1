package main

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/internal/version"
)

// TestVersionAndHelp: `version` (and -json) print the build, and help works as `help CMD` and
// as -h/--help after every command, with exit 0 and nothing started.
func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	getenv := func(string) string { return "" }
	var stdout, stderr bytes.Buffer
	if code := dispatch(context.Background(), []string{"version"}, getenv, &stdout, &stderr); code != 0 {
		t.Fatalf("version: exit %d: %s", code, stderr.String())
	}
	if out := stdout.String(); !strings.HasPrefix(out, "sindri-executor ") || !strings.Contains(out, "\ngo: "+runtime.Version()+"\n") {
		t.Errorf("version printed %q", out)
	}
	stdout.Reset()
	if code := dispatch(context.Background(), []string{"version", "-json"}, getenv, &stdout, &stderr); code != 0 {
		t.Fatalf("version -json: exit %d: %s", code, stderr.String())
	}
	var info version.Info
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil || info.GoVersion != runtime.Version() {
		t.Errorf("version -json = %s (%v)", stdout.String(), err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "-nats-url"},
		{[]string{"-h"}, "sindri-executor keygen"},
		{[]string{"help"}, "sindri-executor version"},
		{[]string{"-config", "x.hcl", "--help"}, "-nats-url"},
		{[]string{"keygen", "--help"}, "-signing"},
		{[]string{"help", "keygen"}, "usage: sindri-executor keygen"},
		{[]string{"version", "--help"}, "usage: sindri-executor version"},
	} {
		stdout.Reset()
		stderr.Reset()
		code := dispatch(context.Background(), tc.args, getenv, &stdout, &stderr)
		if code != 0 || !strings.Contains(stdout.String(), tc.want) || stderr.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 0 and %q on stdout", tc.args, code, stdout.String(), stderr.String(), tc.want)
		}
	}
	if code := dispatch(context.Background(), []string{"version", "x"}, getenv, &stdout, &stderr); code != 2 {
		t.Errorf("version x: exit %d, want 2", code)
	}
}
