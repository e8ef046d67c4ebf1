package secrets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
)

// TestPathExpansionIsLimited checks that a secret path expands only ~, $HOME and the names of
// declared env secrets, and that every refusal names the variable, never its value.
func TestPathExpansionIsLimited(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	writeFile(t, home, "k", "home-value")
	writeFile(t, dir, "vars/k", "var-value")
	env := map[string]string{
		"KEYDIR":       filepath.Join(dir, "vars"),
		"GITHUB_TOKEN": canary,
		"UNDECLARED":   canary,
		"HOME":         "/somewhere/else", // $HOME is HomeDir, not the process variable
	}
	tests := []struct {
		name    string
		path    string
		decl    bool // declare KEYDIR and UNSET_DECLARED as env secrets
		want    string
		wantErr error
		names   string // the error must name it
	}{
		{"declared", "$KEYDIR/k", true, "var-value", nil, ""},
		{"declared braced", "${KEYDIR}/k", true, "var-value", nil, ""},
		{"HOME is the home directory", "$HOME/k", false, "home-value", nil, ""},
		{"tilde", "~/k", false, "home-value", nil, ""},
		{"undeclared", "$KEYDIR/k", false, "", ErrInvalidSecret, "KEYDIR"},
		{"undeclared GITHUB_TOKEN", "/x/${GITHUB_TOKEN}/k", false, "", ErrInvalidSecret, "GITHUB_TOKEN"},
		{"undeclared in the middle", "vars/$UNDECLARED", false, "", ErrInvalidSecret, "UNDECLARED"},
		{"declared but unset", "$UNSET_DECLARED/k", true, "", ErrNotFound, "UNSET_DECLARED"},
		{"dash inside braces", "${INPUT_GITHUB-TOKEN}", false, "", ErrInvalidSecret, "variable name"},
		{"shell special", "$$/k", false, "", ErrInvalidSecret, "variable name"},
		{"positional", "$1/k", false, "", ErrInvalidSecret, "variable name"},
		{"empty braces", "${}/k", false, "", ErrInvalidSecret, "variable name"},
		{"unterminated", "${KEYDIR/k", true, "", ErrInvalidSecret, "unterminated"},
		{"trailing dollar", "vars/k$", false, "", ErrInvalidSecret, "variable name"},
	}
	for _, tc := range tests {
		for _, src := range []config.SecretSource{config.SecretSourceFile, config.SecretSourceEnv} {
			t.Run(tc.name+"/"+string(src), func(t *testing.T) {
				t.Parallel()
				r := newResolver(t, ResolverConfig{ConfigDir: dir, LookupEnv: mapEnv(env), HomeDir: home})
				s := config.Secret{Name: "S", Source: src, Required: true}
				if src == config.SecretSourceFile {
					s.Path = tc.path
				} else {
					s.FromFile = tc.path
				}
				specs := []config.Secret{s}
				if tc.decl {
					specs = append(specs, config.Secret{Name: "KEYDIR", Source: "env"}, config.Secret{Name: "UNSET_DECLARED", Source: "env"})
				}
				res, err := r.Resolve(context.Background(), specs)
				if tc.wantErr == nil {
					if err != nil {
						t.Fatalf("Resolve: %v", err)
					}
					if got := strings.TrimSpace(valueOf(t, res, "S").Value.Reveal()); got != tc.want {
						t.Errorf("value = %q, want %q", got, tc.want)
					}
					return
				}
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.names) {
					t.Errorf("error %q does not name %q", err, tc.names)
				}
				mustNotLeak(t, "error", err.Error())
				for _, w := range res.Warnings {
					mustNotLeak(t, "warning", w.String())
				}
			})
		}
	}
}

// TestFilesConfinedToRoot checks the workspace as the root: files outside the config directory
// but inside the workspace are read, .env files that lead out are refused, and FIFOs are
// refused without blocking.
func TestFilesConfinedToRoot(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	ws := filepath.Join(base, "ws")
	cfgDir := filepath.Join(ws, "deploy")
	outside := filepath.Join(base, "outside")
	writeFile(t, ws, "shared/key", "shared-value")
	writeFile(t, outside, "env", "LEAK="+canary+"\n")
	writeFile(t, outside, "key", canary)
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	fifoDir := filepath.Join(base, "fifo-ws")
	if err := os.MkdirAll(fifoDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(fifoDir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(fifoDir, ".env"), 0o644); err != nil {
		t.Fatal(err)
	}
	envLinkDir := filepath.Join(base, "envlink-ws")
	mustSymlink(t, filepath.Join(outside, "env"), filepath.Join(envLinkDir, ".env.local"))

	tests := []struct {
		name      string
		configDir string
		root      string
		roots     []string
		secret    config.Secret
		want      string
		wantErr   error
	}{
		{"workspace file outside the config dir", cfgDir, ws, nil,
			config.Secret{Name: "S", Source: "file", Path: "../shared/key", Required: true}, "shared-value", nil},
		{"fromFile leaving the workspace", cfgDir, ws, nil,
			config.Secret{Name: "S", Source: "env", FromFile: "../../outside/key", Required: true}, "", ErrPathNotAllowed},
		{"opt-out: an allowed root", cfgDir, ws, []string{outside},
			config.Secret{Name: "S", Source: "env", FromFile: filepath.Join(outside, "key"), Required: true}, canary, nil},
		{".env.local symlinked out of the workspace", envLinkDir, envLinkDir, nil,
			config.Secret{Name: "LEAK", Source: "env", Required: true}, "", ErrPathNotAllowed},
		{".env.local out of the workspace even with an allowed root", envLinkDir, envLinkDir, []string{outside},
			config.Secret{Name: "LEAK", Source: "env", Required: true}, "", ErrPathNotAllowed},
		{"file secret FIFO", fifoDir, fifoDir, nil,
			config.Secret{Name: "S", Source: "file", Path: "pipe", Required: true}, "", ErrInvalidSecret},
		{".env FIFO", fifoDir, fifoDir, nil,
			config.Secret{Name: "S", Source: "env", Required: true}, "", ErrInvalidSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newResolver(t, ResolverConfig{ConfigDir: tc.configDir, Root: tc.root, AllowedRoots: tc.roots})
			type out struct {
				res *Result
				err error
			}
			done := make(chan out, 1)
			go func() {
				res, err := r.Resolve(context.Background(), []config.Secret{tc.secret})
				done <- out{res, err}
			}()
			var got out
			select {
			case got = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Resolve blocked")
			}
			if tc.wantErr == nil {
				if got.err != nil {
					t.Fatalf("Resolve: %v", got.err)
				}
				if v := valueOf(t, got.res, tc.secret.Name).Value.Reveal(); v != tc.want {
					t.Errorf("value = %q, want %q", v, tc.want)
				}
				return
			}
			if !errors.Is(got.err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", got.err, tc.wantErr)
			}
			mustNotLeak(t, "error", got.err.Error())
			if strings.Contains(got.err.Error(), outside) {
				t.Errorf("error %q names the symlink's target", got.err)
			}
		})
	}
}
