package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/fly"
	"github.com/sindri/deploy/v3/pkg/providers/fly/flytest"
)

// `local connect` for fly against the Machines API fake, across separate local calls: deploy
// makes the app and machine, connect prints the way in, `-- CMD` runs the command through the
// exec API and exits with its exit code, with its output on stdout and stderr.
func TestLocalConnectFly(t *testing.T) {
	t.Parallel()
	f := flytest.New(t, flytest.Options{})
	dir := t.TempDir()
	env := map[string]string{"FLY_API_URL": f.URL, "FLY_API_TOKEN": f.Token(), "HOME": dir,
		"SINDRI_LOCAL_STORE": filepath.Join(dir, "store")}
	call := func(args ...string) (int, string, string) {
		t.Helper()
		return localWith(t, func(k string) string { return env[k] }, args...)
	}
	cfg := filepath.Join(dir, "sindri.yaml")
	name := "connect-fly-e2e"
	if err := os.WriteFile(cfg, []byte("version: \"3.0\"\nname: "+name+"\ndeployment:\n  provider: fly\n  image: registry.example/sindri:1\n"+
		"providers:\n  fly:\n    region: sjc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := call("deploy", "-c", cfg); code != 0 {
		t.Fatalf("deploy: exit %d\n%s%s", code, out, errOut)
	}
	p, err := fly.New(fly.Config{APIURL: f.URL, Token: f.Token()})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := p.Connection(context.Background(), &providers.Spec{Env: name})
	if err != nil {
		t.Fatalf("Connection: %v", err)
	}
	code, out, errOut := call("connect", "-c", cfg)
	if want := name + " on fly is running\n" + action.ConnectText("fly", name, conn); code != 0 || out != want || !strings.Contains(out, "ssh -6 developer@") {
		t.Errorf("connect: exit %d:\n%s%s\nwant:\n%s", code, out, errOut, want)
	}
	code, out, errOut = call("connect", "-c", cfg, "--", "echo", "hi")
	if code != 0 || out != "hi\n" || errOut != "" {
		t.Errorf("connect -- echo hi: exit %d, stdout %q, stderr %q; want 0 and hi", code, out, errOut)
	}
	code, out, errOut = call("connect", "-c", cfg, "--", "sh", "-c", "echo bad >&2; exit 3")
	if code != 3 || out != "" || errOut != "bad\n" {
		t.Errorf("connect -- sh -c 'echo bad >&2; exit 3': exit %d, stdout %q, stderr %q; want 3 and bad on stderr", code, out, errOut)
	}
	if code, out, errOut := call("stop", "-c", cfg); code != 0 {
		t.Fatalf("stop: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = call("connect", "-c", cfg, "--", "echo", "hi")
	if code != 1 || !strings.Contains(errOut, "start it") {
		t.Errorf("connect -- CMD on a stopped env: exit %d, stderr %q; want 1 and what to run", code, errOut)
	}
	if v := f.API.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}
