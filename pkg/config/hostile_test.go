package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/confine"
)

const fileCanary = "root:x:0:0:root:/root:/bin/bash:CONFIG-CANARY-91d2"

// TestLoadFileRefusesWhatIsNotAConfig checks LoadFile and LoadFileIn against files a pull
// request could put where the config is expected.
func TestLoadFileRefusesWhatIsNotAConfig(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	ws := filepath.Join(base, "ws")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{ws, outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "sindri.yaml"), []byte(fileCanary+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "sindri.yaml"), filepath.Join(ws, "sindri.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(ws, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "big.yaml"), make([]byte, MaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, root, path string
		want             error
	}{
		{"symlink out of the root", ws, filepath.Join(ws, "sindri.yaml"), confine.ErrOutsideRoot},
		{"symlink out of its directory", "", filepath.Join(ws, "sindri.yaml"), confine.ErrOutsideRoot},
		{"fifo", ws, filepath.Join(ws, "fifo.yaml"), confine.ErrNotRegular},
		{"directory", ws, ws, confine.ErrNotRegular},
		{"too large", ws, filepath.Join(ws, "big.yaml"), confine.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			done := make(chan error, 1)
			go func() {
				var err error
				if tc.root == "" {
					_, _, err = LoadFile(tc.path)
				} else {
					_, _, err = LoadFileIn(tc.root, tc.path)
				}
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if strings.Contains(err.Error(), "CANARY") || !strings.Contains(err.Error(), tc.path) {
					t.Errorf("error %q: want the path as given and no content", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("LoadFile blocked")
			}
		})
	}
}

// TestDiagnosticsQuoteExcerpts checks that no diagnostic reproduces more than a short excerpt of
// the file, whatever the file holds: another file's text, long values, long keys, credentials.
func TestDiagnosticsQuoteExcerpts(t *testing.T) {
	t.Parallel()
	longKey := strings.Repeat("k", 200) + "CANARY"
	token := "ghp_" + strings.Repeat("Z9", 18)
	for _, tc := range []struct {
		name, doc string
	}{
		{"a passwd file", fileCanary + "\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"},
		{"a long size", "version: \"3.0\"\nname: x\ndeployment:\n  provider: docker\n  resources:\n    memory: " + fileCanary + "\n"},
		{"a long enum value", "version: \"3.0\"\nname: x\ndeployment:\n  provider: " + fileCanary + "\n"},
		{"a long unknown key", "version: \"3.0\"\nname: x\n" + longKey + ": 1\ndeployment:\n  provider: docker\n"},
		{"a token as a value", "version: \"3.0\"\nname: x\ndeployment:\n  provider: docker\n  resources:\n    memory: " + token + "\n"},
		{"a version", "version: \"" + fileCanary + "\"\n"},
		{"a YAML error quoting the document", "a: *" + strings.Repeat("q", 100) + "CANARY\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, diags := Load("sindri.yaml", []byte(tc.doc))
			if len(diags) == 0 {
				t.Fatal("no diagnostics")
			}
			for _, d := range diags {
				s := d.String()
				for _, leak := range []string{"CANARY", "/bin/bash", "daemon", token, strings.Repeat("k", 100)} {
					if strings.Contains(s, leak) {
						t.Errorf("diagnostic %q contains %q", s, leak)
					}
				}
			}
		})
	}
}
