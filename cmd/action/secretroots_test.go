package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSecretFileRoots(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SINDRI_SECRET_FILE_ROOTS": "/etc/sindri-secrets" + string(os.PathListSeparator) + "relative/dir" + string(os.PathListSeparator) + "/srv/keys/"}
	got := secretFileRoots(func(k string) string { return env[k] })
	if want := []string{"/etc/sindri-secrets", "/srv/keys"}; !slices.Equal(got, want) {
		t.Errorf("secretFileRoots = %v, want %v (relative entries ignored)", got, want)
	}
	if got := secretFileRoots(func(string) string { return "" }); got != nil {
		t.Errorf("unset: %v, want none", got)
	}
}

func TestLocalWorkspaceIsTheCheckoutRoot(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "svc", "api")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	realRoot, _ := filepath.EvalSymlinks(root)
	if got := localWorkspace(filepath.Join(sub, "sindri.yaml")); got != realRoot {
		t.Errorf("localWorkspace = %s, want the checkout root %s", got, realRoot)
	}
	plain := t.TempDir()
	realPlain, _ := filepath.EvalSymlinks(plain)
	if got := localWorkspace(filepath.Join(plain, "sindri.yaml")); got != realPlain {
		t.Errorf("localWorkspace outside a checkout = %s, want the config's directory %s", got, realPlain)
	}
}
