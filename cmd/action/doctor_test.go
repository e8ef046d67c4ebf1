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
