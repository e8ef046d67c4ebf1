package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(good, "version: \"3.0\"\nname: ok\ndeployment:\n  provider: docker\n  image: x:1\nextensions:\n  profile: minimal\n")
	write(bad, "version: \"3.0\"\nname: Bad_Name\ndeployment:\n  provider: docker\n  resources:\n    gpu:\n      enabled: true\n      tier: a100\nextensions:\n  profile: minimal\n")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"valid", []string{"validate", "-c", good}, 0, []string{"good.yaml: valid"}},
		{"errors with positions", []string{"validate", "-c", bad}, 1, []string{
			bad + ":2:7: error: name:",
			bad + ":8:13: error: deployment.resources.gpu.tier:",
			"gpu-small, gpu-medium, gpu-large, gpu-xlarge",
			"2 error(s)",
		}},
		{"missing file", []string{"validate", "-c", filepath.Join(dir, "nope.yaml")}, 2, []string{"no such file"}},
		{"unknown command", []string{"frobnicate"}, 2, []string{"unknown command frobnicate"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, func(string) string { return "" }, &stdout, &stderr)
			out := stdout.String() + stderr.String()
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tc.wantCode, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
