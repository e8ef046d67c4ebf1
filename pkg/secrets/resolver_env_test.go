package secrets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
)

func TestEnvPrecedence(t *testing.T) {
	t.Parallel()
	// Each layer holds a different value; the first layer that has a non-empty one wins.
	tests := []struct {
		name       string
		process    *string
		envLocal   *string
		dotEnv     *string
		fromFile   *string
		wantValue  string
		wantOrigin string // suffix of Resolved.Origin
	}{
		{"all set: process wins", ptr("proc"), ptr("local"), ptr("dot"), ptr("file"), "proc", "process environment"},
		{"no process: .env.local wins", nil, ptr("local"), ptr("dot"), ptr("file"), "local", ".env.local"},
		{"only .env and file: .env wins", nil, nil, ptr("dot"), ptr("file"), "dot", "/.env"},
		{"only fromFile", nil, nil, nil, ptr("file"), "file", "value.txt"},
		{"empty process value falls through", ptr(""), ptr("local"), nil, nil, "local", ".env.local"},
		{"empty .env.local value falls through", nil, ptr(""), ptr("dot"), nil, "dot", "/.env"},
		{"process beats a file-only value", ptr("proc"), nil, nil, ptr("file"), "proc", "process environment"},
		{"fromFile content is trimmed", nil, nil, nil, ptr("  \n file \n\n"), "file", "value.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := map[string]string{}
			if tc.process != nil {
				env["TOKEN"] = *tc.process
			}
			if tc.envLocal != nil {
				writeFile(t, dir, ".env.local", "OTHER=x\nTOKEN="+*tc.envLocal+"\n")
			}
			if tc.dotEnv != nil {
				writeFile(t, dir, ".env", "# team defaults\nexport TOKEN=\""+*tc.dotEnv+"\"\n")
			}
			spec := config.Secret{Name: "TOKEN", Source: config.SecretSourceEnv, Required: true}
			if tc.fromFile != nil {
				writeFile(t, dir, "keys/value.txt", *tc.fromFile)
				spec.FromFile = "keys/value.txt"
			}
			r := newResolver(t, ResolverConfig{ConfigDir: dir, LookupEnv: mapEnv(env), AllowedRoots: []string{}})
			res, err := r.Resolve(context.Background(), []config.Secret{spec})
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			got := valueOf(t, res, "TOKEN")
			if got.Value.Reveal() != tc.wantValue {
				t.Errorf("value = %q, want %q", got.Value.Reveal(), tc.wantValue)
			}
			if !strings.HasSuffix(got.Origin, tc.wantOrigin) {
				t.Errorf("origin = %q, want suffix %q", got.Origin, tc.wantOrigin)
			}
			if got.Source != config.SecretSourceEnv || got.MountPath != "" {
				t.Errorf("source %q mountPath %q, want env and none", got.Source, got.MountPath)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestEnvFromFileExpansion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	writeFile(t, home, ".ssh/id.pub", "ssh-ed25519 AAAAkey user\n")
	writeFile(t, dir, "vars/k", "from-var")
	env := map[string]string{"KEYDIR": filepath.Join(dir, "vars")}
	r := newResolver(t, ResolverConfig{ConfigDir: dir, LookupEnv: mapEnv(env), HomeDir: home, AllowedRoots: []string{}})
	res, err := r.Resolve(context.Background(), []config.Secret{
		{Name: "TILDE", Source: "env", FromFile: "~/.ssh/id.pub", Required: true},
		{Name: "KEYDIR", Source: "env"}, // declared: the only variables a path may name
		{Name: "DOLLAR", Source: "env", FromFile: "$KEYDIR/k", Required: true},
		{Name: "BRACED", Source: "env", FromFile: "${KEYDIR}/k", Required: true},
	})
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if got := valueOf(t, res, "TILDE").Value.Reveal(); got != "ssh-ed25519 AAAAkey user" {
		t.Errorf("TILDE = %q", got)
	}
	for _, n := range []string{"DOLLAR", "BRACED"} {
		if got := valueOf(t, res, n).Value.Reveal(); got != "from-var" {
			t.Errorf("%s = %q", n, got)
		}
	}
}

func TestEnvFromFileFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outside := t.TempDir()
	writeFile(t, outside, "leak.txt", canary)
	writeFile(t, dir, "empty.txt", " \n")
	tests := []struct {
		name     string
		fromFile string
		home     string
		wantErr  error
	}{
		{"undeclared variable", "$NOPE/k", "", ErrInvalidSecret},
		{"tilde without home", "~/k", "", ErrInvalidConfig},
		{"tilde user", "~root/k", "/root", ErrInvalidSecret},
		{"missing file", "missing.txt", "", ErrNotFound},
		{"empty file", "empty.txt", "", ErrNotFound},
		{"outside the config dir", filepath.Join(outside, "leak.txt"), "", ErrPathNotAllowed},
		{"dot-dot escape", "../" + filepath.Base(outside) + "/leak.txt", "", ErrPathNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newResolver(t, ResolverConfig{ConfigDir: dir, HomeDir: tc.home, AllowedRoots: []string{}})
			res, err := r.Resolve(context.Background(), []config.Secret{
				{Name: "REQ", Source: "env", FromFile: tc.fromFile, Required: true},
				{Name: "OPT", Source: "env", FromFile: tc.fromFile},
			})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			var re *ResolutionError
			if !errors.As(err, &re) {
				t.Fatalf("err is %T, want *ResolutionError", err)
			}
			if tc.wantErr == ErrInvalidSecret {
				return // declaration-level problems fail optional secrets too
			}
			if len(re.Failures) != 1 || re.Failures[0].Name != "REQ" {
				t.Errorf("failures = %v, want only REQ", err)
			}
			if len(res.Warnings) != 1 || res.Warnings[0].Secret != "OPT" || !errors.Is(res.Warnings[0].Err, tc.wantErr) {
				t.Errorf("warnings = %v, want one for OPT wrapping %v", res.Warnings, tc.wantErr)
			}
			mustNotLeak(t, "error", err.Error())
		})
	}
}

func TestEnvFileMalformed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, ".env.local", "GOOD=1\n"+canary+"\n")
	writeFile(t, dir, ".env", "TOKEN=from-dotenv\n")
	r := newResolver(t, ResolverConfig{ConfigDir: dir, LookupEnv: mapEnv(map[string]string{"PROC": "p"}), AllowedRoots: []string{}})
	res, err := r.Resolve(context.Background(), []config.Secret{
		{Name: "PROC", Source: "env", Required: true}, // found before the files are read
		{Name: "TOKEN", Source: "env", Required: true},
	})
	var ef *EnvFileError
	if !errors.As(err, &ef) {
		t.Fatalf("err = %v, want an *EnvFileError", err)
	}
	if want := filepath.Join(dir, ".env.local"); ef.File != want || ef.Line != 2 {
		t.Errorf("error at %s:%d, want %s:2", ef.File, ef.Line, want)
	}
	if !strings.Contains(err.Error(), ".env.local:2:") || !strings.Contains(err.Error(), "TOKEN") {
		t.Errorf("error %q should name the secret and file:line", err)
	}
	mustNotLeak(t, "error", err.Error())
	if _, ok := res.Lookup("PROC"); !ok {
		t.Error("PROC from the process environment should resolve despite the bad file")
	}
	if _, ok := res.Lookup("TOKEN"); ok {
		t.Error("TOKEN must not fall through to .env past a malformed .env.local")
	}
}

func TestEnvFileSymlinkEscapeRefused(t *testing.T) {
	t.Parallel()
	dir, outside := t.TempDir(), t.TempDir()
	target := writeFile(t, outside, "creds", "TOKEN="+canary+"\n")
	if err := os.Symlink(target, filepath.Join(dir, ".env")); err != nil {
		t.Fatal(err)
	}
	r := newResolver(t, ResolverConfig{ConfigDir: dir, AllowedRoots: []string{}})
	_, err := r.Resolve(context.Background(), []config.Secret{{Name: "TOKEN", Source: "env", Required: true}})
	if !errors.Is(err, ErrPathNotAllowed) {
		t.Fatalf("err = %v, want ErrPathNotAllowed", err)
	}
	mustNotLeak(t, "error", err.Error())
}

func TestResolveAggregatesAndClassifies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := newResolver(t, ResolverConfig{ConfigDir: dir, AllowedRoots: []string{}, LookupEnv: mapEnv(map[string]string{"SET": "value-1"})})
	res, err := r.Resolve(context.Background(), []config.Secret{
		{Name: "SET", Source: "env", Required: true},
		{Name: "MISSING_A", Source: "env", Required: true},
		{Name: "MISSING_B", Source: "env", Required: true},
		{Name: "OPTIONAL", Source: "env"},
		{Name: "SET", Source: "env"},
		{Name: "S3_REQ", Source: "s3", S3Path: "b/k", Required: true},
		{Name: "S3_OPT", Source: "s3", S3Path: "b/k"},
		{Name: "bad-name", Source: "env"},
		{Name: "NOSRC"},
		{Name: "WEIRD", Source: "ssm"},
		{Name: "F", Source: "file"},
		{Name: "P", Source: "file", Path: "x", Permissions: "0999"},
		{Name: "M", Source: "file", Path: "x", MountPath: "relative/path"},
		{Name: "V", Source: "vault", VaultPath: "a/b"},
		{Name: "VT", Source: "vault", VaultPath: "a/../../sys/raw", VaultKey: "k"},
	})
	var re *ResolutionError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want *ResolutionError", err)
	}
	want := map[string]error{
		"MISSING_A": ErrNotFound, "MISSING_B": ErrNotFound, "SET": ErrDuplicateName,
		"S3_REQ": ErrUnsupportedSource, "bad-name": ErrInvalidSecret, "NOSRC": ErrInvalidSecret,
		"WEIRD": ErrInvalidSecret, "F": ErrInvalidSecret, "P": ErrInvalidSecret, "M": ErrInvalidSecret,
		"V": ErrInvalidSecret, "VT": ErrInvalidSecret,
	}
	got := map[string]error{}
	for _, f := range re.Failures {
		got[f.Name] = f
		if !strings.Contains(err.Error(), "secret "+f.Name+" (") {
			t.Errorf("aggregate error does not name %s", f.Name)
		}
	}
	for name, sentinel := range want {
		if !errors.Is(got[name], sentinel) {
			t.Errorf("failure for %s = %v, want %v", name, got[name], sentinel)
		}
	}
	if len(got) != len(want) {
		t.Errorf("failures %v, want exactly %d", err, len(want))
	}
	if v := valueOf(t, res, "SET"); v.Value.Reveal() != "value-1" {
		t.Errorf("SET = %q", v.Value.Reveal())
	}
	warned := map[string]error{}
	for _, w := range res.Warnings {
		warned[w.Secret] = w.Err
	}
	if !errors.Is(warned["OPTIONAL"], ErrNotFound) || !errors.Is(warned["S3_OPT"], ErrUnsupportedSource) || len(warned) != 2 {
		t.Errorf("warnings = %v, want OPTIONAL (not found) and S3_OPT (unsupported)", res.Warnings)
	}
	if !strings.Contains(err.Error(), "s3 secret source is not supported; use env, file or vault") {
		t.Errorf("error lacks the s3 refusal text: %v", err)
	}
	for _, sentinel := range []error{ErrNotFound, ErrDuplicateName, ErrInvalidSecret, ErrUnsupportedSource} {
		if !errors.Is(err, sentinel) {
			t.Errorf("errors.Is(aggregate, %v) = false", sentinel)
		}
	}
}

func TestResolveWarnsAboutShortValues(t *testing.T) {
	t.Parallel()
	r := newResolver(t, ResolverConfig{ConfigDir: t.TempDir(), LookupEnv: mapEnv(map[string]string{"PIN": "123"})})
	res, err := r.Resolve(context.Background(), []config.Secret{{Name: "PIN", Source: "env", Required: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Secret != "PIN" || !strings.Contains(res.Warnings[0].String(), "too short") {
		t.Errorf("warnings = %v", res.Warnings)
	}
}

func TestResolveStopsOnCancelledContext(t *testing.T) {
	t.Parallel()
	r := newResolver(t, ResolverConfig{ConfigDir: t.TempDir(), LookupEnv: mapEnv(map[string]string{"A": "aaaa"})})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.Resolve(ctx, []config.Secret{{Name: "A", Source: "env"}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestNewResolverConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := writeFile(t, dir, "f", "x")
	for name, cfg := range map[string]ResolverConfig{
		"no config dir":       {},
		"missing config dir":  {ConfigDir: filepath.Join(dir, "nope")},
		"config dir is file":  {ConfigDir: file},
		"relative root":       {ConfigDir: dir, AllowedRoots: []string{"etc/ssl"}},
		"vault addr not http": {ConfigDir: dir, Vault: VaultConfig{Addr: "vault.example.com:8200"}},
		"vault addr bad url":  {ConfigDir: dir, Vault: VaultConfig{Addr: "http://%zz"}},
	} {
		if _, err := NewResolver(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: err = %v, want ErrInvalidConfig", name, err)
		}
	}
}
