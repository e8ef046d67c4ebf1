package act

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestActionImageShape checks the image action.yml names, as the release builds it: small (a
// static binary, a CA bundle and /tmp on scratch), no shell or other binaries an attacker
// could use, the action binary as entrypoint, the CA bundle wired through SSL_CERT_FILE, and
// root as its user (the documented exception; docs/action.md "Container user").
func TestActionImageShape(t *testing.T) {
	if os.Getenv("SINDRI_ACT") != "1" {
		t.Skip("set SINDRI_ACT=1 to build and inspect the action image")
	}
	actTurn.Lock() // the act tests build the same image reference
	defer actTurn.Unlock()
	requireTools(t)
	image := actionImage(t)
	run(t, repoRoot, "scripts/build-action-image.sh", image)

	var inspect []struct {
		Size   int64
		Config struct {
			User       string
			Entrypoint []string
			Cmd        []string
			Env        []string
		}
		RootFS struct{ Layers []string }
	}
	if err := json.Unmarshal([]byte(run(t, repoRoot, "docker", "image", "inspect", image)), &inspect); err != nil || len(inspect) != 1 {
		t.Fatalf("docker image inspect %s: %v", image, err)
	}
	img := inspect[0]
	if img.Size > 40<<20 {
		t.Errorf("image is %d MiB, want at most 40 (a static binary and a CA bundle)", img.Size>>20)
	}
	if strings.Join(img.Config.Entrypoint, " ") != "/usr/local/bin/sindri-action" || len(img.Config.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want the action binary alone", img.Config.Entrypoint, img.Config.Cmd)
	}
	if img.Config.User != "0:0" {
		t.Errorf("user %q, want 0:0 (docs/action.md, Container user)", img.Config.User)
	}
	if !slicesContains(img.Config.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") {
		t.Errorf("env %q lacks SSL_CERT_FILE", img.Config.Env)
	}
	// The filesystem: export a container made from the image and list it.
	id := strings.TrimSpace(run(t, repoRoot, "docker", "create", image))
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", id).Run() })
	listing := run(t, repoRoot, "sh", "-c", "docker export "+id+" | tar -tv")
	var files []string
	for _, l := range strings.Split(strings.TrimSpace(listing), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "d") {
			continue // directories
		}
		name := f[len(f)-1]
		if strings.HasPrefix(f[0], "l") && len(f) >= 3 && f[len(f)-2] == "->" {
			name = f[len(f)-3] // a symlink: "name -> target"
		}
		files = append(files, name)
	}
	want := map[string]bool{"usr/local/bin/sindri-action": true, "etc/ssl/certs/ca-certificates.crt": true}
	// docker export adds the engine's placeholders for what it mounts into every container.
	placeholders := map[string]bool{".dockerenv": true, "dev/console": true, "etc/hostname": true,
		"etc/hosts": true, "etc/mtab": true, "etc/resolv.conf": true}
	for _, f := range files {
		if !want[f] && !placeholders[f] {
			t.Errorf("unexpected file %s in the image", f)
		}
		if strings.HasPrefix(f, "bin/") || strings.HasSuffix(f, "/sh") {
			t.Errorf("the image holds %s: no shell or tools belong in it", f)
		}
	}
	for f := range want {
		if !slicesContains(files, f) {
			t.Errorf("the image lacks %s (files: %v)", f, files)
		}
	}
	if !strings.Contains(listing, "drwxrwxrwt") {
		t.Errorf("no sticky world-writable /tmp in the image:\n%s", listing)
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
