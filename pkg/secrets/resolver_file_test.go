package secrets

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
)

func TestFileSecretResolves(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "certs/server.crt", "-----BEGIN CERT-----\nabc\n-----END CERT-----\n")
	writeFile(t, dir, "certs/server.key", "  key with spaces kept  \n")
	if err := os.Symlink("server.crt", filepath.Join(dir, "certs/link.crt")); err != nil {
		t.Fatal(err)
	}
	r := newResolver(t, ResolverConfig{ConfigDir: dir, AllowedRoots: []string{}})
	res, err := r.Resolve(context.Background(), []config.Secret{
		{Name: "TLS_CERT", Source: "file", Path: "./certs/server.crt", MountPath: "/etc/ssl/certs/server.crt", Permissions: "0644"},
		{Name: "TLS_KEY", Source: "file", Path: "certs/server.key", Permissions: "600", Required: true},
		{Name: "LINKED", Source: "file", Path: filepath.Join(dir, "certs/link.crt")},
	})
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	tests := []struct {
		name, value, mount, perm string
		mode                     fs.FileMode
	}{
		{"TLS_CERT", "-----BEGIN CERT-----\nabc\n-----END CERT-----\n", "/etc/ssl/certs/server.crt", "0644", 0o644},
		{"TLS_KEY", "  key with spaces kept  \n", "/secrets/server.key", "0600", 0o600},
		{"LINKED", "-----BEGIN CERT-----\nabc\n-----END CERT-----\n", "/secrets/link.crt", "0644", 0o644},
	}
	for _, tc := range tests {
		got := valueOf(t, res, tc.name)
		if got.Value.Reveal() != tc.value {
			t.Errorf("%s: value = %q, want %q (raw bytes, untrimmed)", tc.name, got.Value.Reveal(), tc.value)
		}
		if got.MountPath != tc.mount || got.Permissions != tc.perm || got.FileMode() != tc.mode || !got.IsFile() {
			t.Errorf("%s: mount %q perm %q mode %o file %v, want %q %q %o true",
				tc.name, got.MountPath, got.Permissions, got.FileMode(), got.IsFile(), tc.mount, tc.perm, tc.mode)
		}
	}
}

func TestFileConfinement(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	dir := filepath.Join(base, "repo")
	outside := filepath.Join(base, "outside")
	allowed := filepath.Join(base, "etc-secrets")
	writeFile(t, outside, "id_ed25519", canary)
	writeFile(t, allowed, "token", "allowed-root-value")
	writeFile(t, dir, "ok.txt", "inside-value")
	mustSymlink(t, filepath.Join(outside, "id_ed25519"), filepath.Join(dir, "escape-link"))
	mustSymlink(t, outside, filepath.Join(dir, "escape-dir"))
	mustSymlink(t, filepath.Join(allowed, "token"), filepath.Join(dir, "to-allowed"))
	mustSymlink(t, filepath.Join(dir, "ok.txt"), filepath.Join(allowed, "back-in"))
	// A symlinked allowed root is matched both as written and as resolved.
	mustSymlink(t, allowed, filepath.Join(base, "allowed-alias"))

	tests := []struct {
		name      string
		path      string
		roots     []string
		wantErr   error
		wantValue string
	}{
		{"inside config dir", "ok.txt", []string{}, nil, "inside-value"},
		{"dot-dot escape", "../outside/id_ed25519", []string{}, ErrPathNotAllowed, ""},
		{"dot-dot hidden in the middle", "sub/../../outside/id_ed25519", []string{}, ErrPathNotAllowed, ""},
		{"absolute outside", filepath.Join(outside, "id_ed25519"), []string{}, ErrPathNotAllowed, ""},
		{"symlink escape", "escape-link", []string{}, ErrPathNotAllowed, ""},
		{"symlinked directory escape", "escape-dir/id_ed25519", []string{}, ErrPathNotAllowed, ""},
		{"allowed root, absolute", filepath.Join(allowed, "token"), []string{allowed}, nil, "allowed-root-value"},
		{"allowed root via dot-dot", "../etc-secrets/token", []string{allowed}, nil, "allowed-root-value"},
		{"symlink into an allowed root", "to-allowed", []string{allowed}, nil, "allowed-root-value"},
		{"symlink into allowed root without the root", "to-allowed", []string{}, ErrPathNotAllowed, ""},
		{"allowed root given through a symlink", filepath.Join(base, "allowed-alias", "token"), []string{filepath.Join(base, "allowed-alias")}, nil, "allowed-root-value"},
		{"allowed root does not cover a sibling prefix", filepath.Join(base, "etc-secrets-evil", "x"), []string{allowed}, ErrPathNotAllowed, ""},
		{"missing inside", "nope.txt", []string{}, ErrNotFound, ""},
		{"directory", ".", []string{}, ErrInvalidSecret, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newResolver(t, ResolverConfig{ConfigDir: dir, AllowedRoots: tc.roots})
			res, err := r.Resolve(context.Background(), []config.Secret{{Name: "S", Source: "file", Path: tc.path, Required: true}})
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Resolve: %v", err)
				}
				if got := valueOf(t, res, "S").Value.Reveal(); got != tc.wantValue {
					t.Errorf("value = %q, want %q", got, tc.wantValue)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if len(res.Secrets) != 0 {
				t.Errorf("a refused secret was returned")
			}
			if tc.wantErr == ErrPathNotAllowed && !strings.Contains(err.Error(), "outside the workspace") {
				t.Errorf("error %q does not explain the refusal", err)
			}
			mustNotLeak(t, "error", err.Error())
		})
	}
}

func TestFileOptionalMissingOrRefusedIsAWarning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	home := t.TempDir()
	writeFile(t, home, ".ssh/id_ed25519", canary)
	r := newResolver(t, ResolverConfig{ConfigDir: dir, HomeDir: home, AllowedRoots: []string{}})
	// The upstream devpod/aws example: an optional file secret under ~ (outside the roots).
	res, err := r.Resolve(context.Background(), []config.Secret{
		{Name: "SSH_PRIVATE_KEY", Source: "file", Path: "~/.ssh/id_ed25519", MountPath: "/home/developer/.ssh/id_ed25519", Permissions: "0600"},
		{Name: "GONE", Source: "file", Path: "gone.pem"},
	})
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if len(res.Secrets) != 0 || len(res.Warnings) != 2 {
		t.Fatalf("secrets %d warnings %v, want 0 and 2", len(res.Secrets), res.Warnings)
	}
	if !errors.Is(res.Warnings[0].Err, ErrPathNotAllowed) || !errors.Is(res.Warnings[1].Err, ErrNotFound) {
		t.Errorf("warnings = %v", res.Warnings)
	}
	for _, w := range res.Warnings {
		mustNotLeak(t, "warning", w.String())
	}
}

func TestFileNotRegularOrTooLarge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "big", strings.Repeat("x", 2048))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	r := newResolver(t, ResolverConfig{ConfigDir: dir, AllowedRoots: []string{}, MaxFileSize: 1024})
	_, err := r.Resolve(context.Background(), []config.Secret{
		{Name: "BIG", Source: "file", Path: "big", Required: true},
		{Name: "FIFO", Source: "file", Path: "fifo", Required: true},
	})
	var re *ResolutionError
	if !errors.As(err, &re) || len(re.Failures) != 2 {
		t.Fatalf("err = %v, want two failures", err)
	}
	for _, f := range re.Failures {
		if !errors.Is(f, ErrInvalidSecret) {
			t.Errorf("%s: %v, want ErrInvalidSecret", f.Name, f.Err)
		}
	}
}

func TestDefaultAllowedRoots(t *testing.T) {
	t.Parallel()
	want := []string{"/etc/ssl", "/etc/secrets", "/tmp", "/var/secrets"}
	if got := DefaultAllowedRoots(); !slices.Equal(got, want) {
		t.Errorf("DefaultAllowedRoots() = %v, want %v", got, want)
	}
	DefaultAllowedRoots()[0] = "/" // callers get a copy
	if got := DefaultAllowedRoots(); got[0] != "/etc/ssl" {
		t.Error("DefaultAllowedRoots returned shared state")
	}
	// With AllowedRoots nil nothing outside the config directory is read; passing the
	// defaults restores upstream's behaviour: a file in another directory under /tmp resolves.
	other, err := os.MkdirTemp("/tmp", "secrets-root-")
	if err != nil {
		t.Skipf("no /tmp: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(other) })
	f := writeFile(t, other, "v", "tmp-value")
	specs := []config.Secret{{Name: "T", Source: "file", Path: f, Required: true}}
	if _, err := newResolver(t, ResolverConfig{ConfigDir: t.TempDir()}).Resolve(context.Background(), specs); !errors.Is(err, ErrPathNotAllowed) {
		t.Fatalf("AllowedRoots nil: err = %v, want ErrPathNotAllowed", err)
	}
	r := newResolver(t, ResolverConfig{ConfigDir: t.TempDir(), AllowedRoots: DefaultAllowedRoots()})
	res, err := r.Resolve(context.Background(), specs)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if got := valueOf(t, res, "T").Value.Reveal(); got != "tmp-value" {
		t.Errorf("value = %q", got)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
