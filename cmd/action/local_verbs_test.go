package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// doctor runs `local doctor args` with the environment env (and nothing else) from a
// directory without a sindri.yaml, and returns its exit status and output.
func doctor(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"local", "doctor"}, args...), getenv, &out, &errOut)
	if errOut.Len() > 0 {
		t.Logf("stderr: %s", errOut.String())
	}
	return code, out.String()
}

// fakeAPI stands in for a cloud API root: it answers 401 to a request without credentials,
// as the real ones do, and fails the test if doctor sends any credential.
func fakeAPI(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-API-Key") != "" {
			t.Errorf("doctor sent a credential to %s", r.URL)
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Fly with no token: non-zero, naming FLY_API_TOKEN and where it comes from; the API is asked
// once without credentials.
func TestDoctorFlyNoToken(t *testing.T) {
	t.Parallel()
	api := fakeAPI(t)
	code, out := doctor(t, map[string]string{"SINDRI_FLY_API_URL": api.URL + "/v1"}, "--provider", "fly")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	golden(t, "doctor-fly-no-token.txt", strings.ReplaceAll(out, api.URL, "http://API"))
}

// Fly with a token: it can run, and the token's value is never printed.
func TestDoctorFlyToken(t *testing.T) {
	t.Parallel()
	api := fakeAPI(t)
	const token = "FlyV1 fm2_secret-canary-7f3a"
	code, out := doctor(t, map[string]string{"SINDRI_FLY_API_URL": api.URL + "/v1", "FLY_API_TOKEN": token}, "--provider", "fly")
	if code != 0 || !strings.Contains(out, "credential FLY_API_TOKEN is set") || !strings.Contains(out, "fly can run here") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "secret-canary") {
		t.Error("doctor printed the token's value")
	}
}

// An API that cannot be reached is a blocking problem naming its host.
func TestDoctorAPIUnreachable(t *testing.T) {
	t.Parallel()
	api := fakeAPI(t)
	url := api.URL
	api.Close()
	code, out := doctor(t, map[string]string{"SINDRI_RUNPOD_API_URL": url + "/v2", "RUNPOD_API_KEY": "k"}, "--provider", "runpod")
	if code != 1 || !strings.Contains(out, "cannot be reached") || !strings.Contains(out, "credential RUNPOD_API_KEY is set") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// VM without packer: non-zero, naming the binary and how to install it.
func TestDoctorVMWithoutPacker(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "packer")
	code, out := doctor(t, map[string]string{"SINDRI_PACKER_BINARY": missing}, "--cloud", "aws")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	golden(t, "doctor-vm-without-packer.txt", strings.ReplaceAll(out, missing, "/MISSING/packer"))
}

// VM with the real packer (Debian's 1.6.6, through scripts/tools.sh): ready, and with -cloud
// aws the AWS credentials are what is missing, by name; set, the cloud can build.
func TestDoctorVMWithPacker(t *testing.T) {
	if os.Getenv("SINDRI_HEAVY") != "1" {
		t.Skip("needs packer (scripts/tools.sh packer): set SINDRI_HEAVY=1")
	}
	t.Parallel()
	out, err := exec.Command("../../scripts/tools.sh", "packer").Output()
	if err != nil {
		t.Fatalf("tools.sh packer: %v", err)
	}
	packer := strings.TrimSpace(string(out))
	code, got := doctor(t, map[string]string{"SINDRI_PACKER_BINARY": packer}, "--cloud", "aws")
	if code != 1 {
		t.Errorf("without AWS credentials: exit %d, want 1", code)
	}
	golden(t, "doctor-vm-with-packer.txt", got)
	code, got = doctor(t, map[string]string{"SINDRI_PACKER_BINARY": packer,
		"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret-canary"}, "--cloud", "aws")
	if code != 0 || strings.Contains(got, "canary") || strings.Contains(got, "AKIAEXAMPLE") {
		t.Errorf("with AWS credentials: exit %d:\n%s", code, got)
	}
}

// Docker on this machine: the engine answers and its version is reported.
func TestDoctorDocker(t *testing.T) {
	if os.Getenv("SINDRI_HEAVY") != "1" {
		t.Skip("needs the Docker engine: set SINDRI_HEAVY=1")
	}
	t.Parallel()
	code, out := doctor(t, map[string]string{"DOCKER_HOST": os.Getenv("DOCKER_HOST")}, "--provider", "docker")
	if code != 0 {
		t.Errorf("exit %d:\n%s", code, out)
	}
	version := regexp.MustCompile(`Docker Engine \S+ \(API [0-9.]+\)`)
	golden(t, "doctor-docker.txt", version.ReplaceAllString(out, "Docker Engine VERSION (API VERSION)"))
	code, out = doctor(t, map[string]string{"DOCKER_HOST": "unix:///nonexistent/docker.sock"}, "--provider", "docker")
	if code != 1 || !strings.Contains(out, "unix:///nonexistent/docker.sock does not answer") {
		t.Errorf("engine down: exit %d:\n%s", code, out)
	}
}

// local runs `sindri-action local args...` in process with the test's environment, from dir.
func local(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, append([]string{"local"}, args...), os.Getenv, &out, &errOut)
	return code, out.String(), errOut.String()
}

// `local connect` on the real Docker engine: it prints the guide's way in for a running
// environment, `-- CMD` runs a command inside it with the command's exit code and output, a
// stopped environment is refused with what to do, and what the command wrote to the home
// volume is still there after stop and start.
func TestLocalConnectDocker(t *testing.T) {
	needHeavy(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sindri.yaml")
	env := "connect-e2e-" + strings.ToLower(t.Name()[len(t.Name())-6:])
	if err := os.WriteFile(cfg, []byte("version: \"3.0\"\nname: "+env+"\ndeployment:\n  provider: docker\n  image: "+testImage+
		"\n  resources:\n    memory: 256MB\n    cpus: 1\nextensions:\n  profile: minimal\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if code, out, errOut := local(t, "destroy", "-c", cfg); code != 0 {
			t.Errorf("destroy: exit %d\n%s%s", code, out, errOut)
		}
	})
	if code, _, errOut := local(t, "connect", "-c", cfg); code != 1 || !strings.Contains(errOut, env+" on docker is not deployed") {
		t.Errorf("connect before deploy: exit %d, stderr %q", code, errOut)
	}
	if code, out, errOut := local(t, "deploy", "-c", cfg); code != 0 {
		t.Fatalf("deploy: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ := local(t, "connect", "-c", cfg)
	if code != 0 || !strings.Contains(out, "way in: docker exec (no SSH)") || !strings.Contains(out, "docker exec -it") ||
		!strings.Contains(out, " "+env+" bash -l") || !strings.Contains(out, "https://vscode.dev/redirect?url=vscode%3A%2F%2Fvscode-remote%2Fattached-container") {
		t.Errorf("connect: exit %d:\n%s", code, out)
	}
	const marker = "/alt/home/developer/connect-marker"
	if code, out, errOut := local(t, "connect", "-c", cfg, "--", "/hello", "-write", marker, "-content", "kept "+env); code != 0 {
		t.Fatalf("connect -- write: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := local(t, "connect", "-c", cfg, "--", "/hello", "-read", "/no/such/file"); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("connect -- failing command: exit %d, stderr %q; want the command's own exit 1 and message", code, errOut)
	}
	if code, out, errOut := local(t, "stop", "-c", cfg); code != 0 {
		t.Fatalf("stop: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := local(t, "connect", "-c", cfg, "--", "/hello", "-read", marker); code != 1 || !strings.Contains(errOut, "is stopped") {
		t.Errorf("connect to a stopped environment: exit %d, stderr %q", code, errOut)
	}
	if code, out, errOut := local(t, "start", "-c", cfg); code != 0 {
		t.Fatalf("start: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := local(t, "connect", "-c", cfg, "--", "/hello", "-read", marker)
	if code != 0 || out != "kept "+env {
		t.Errorf("marker after stop and start: exit %d, out %q, stderr %q", code, out, errOut)
	}
}
