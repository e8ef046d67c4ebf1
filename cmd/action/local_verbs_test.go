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

	"github.com/sindri/deploy/v3/pkg/providers/e2b/e2btest"
	"github.com/sindri/deploy/v3/pkg/providers/fly/flytest"
	"github.com/sindri/deploy/v3/pkg/providers/northflank/northflanktest"
	"github.com/sindri/deploy/v3/pkg/providers/runpod/runpodtest"
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
	return localWith(t, os.Getenv, args...)
}

// localWith runs `sindri-action local args...` in process with the environment getenv reads,
// and returns its exit code, stdout and stderr.
func localWith(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, append([]string{"local"}, args...), getenv, &out, &errOut)
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

// guideExamples is the repository copy of the provider guide's examples (TestSharedCopyInSync
// in pkg/config keeps it equal to the shared fixtures).
const guideExamples = "../../testdata/shared/fixtures/guide-examples"

// guideEffects are, per guide example, the words the plan must show for each field the
// example sets: the field's effect, as a new user reads it in `local plan`.
var guideEffects = map[string][]*regexp.Regexp{
	// gpuType, containerDiskGb, volumeSizeGb.
	"runpod": {regexp.MustCompile(`NVIDIA RTX A4000`), regexp.MustCompile(`"disk":50\b`), regexp.MustCompile(`"persistent":\{"size":20\b`)},
	// autoScaling 1..5, and what happens to the ReadWriteOnce home volume above one instance.
	"northflank": {regexp.MustCompile(`(?i)autoscal\w* .*1\D+5|min\w* 1.*max\w* 5`), regexp.MustCompile(`(?i)volume`)},
	// timeout and autoPause.
	"e2b": {regexp.MustCompile(`3600`), regexp.MustCompile(`(?i)auto.?pause|pause`)},
	// region and autoStopMachines.
	"fly": {regexp.MustCompile(`sjc`), regexp.MustCompile(`(?i)auto.?stop|autostop`)},
	// namespace and storageClass.
	"kubernetes": {regexp.MustCompile(`dev-environments`), regexp.MustCompile(`fast-ssd`)},
	// the backend.
	"devpod": {regexp.MustCompile(`(?i)provider[^\n]*docker|docker[^\n]*backend`)},
	// cloud, profile, region: the packer block's fields.
	"packer": {regexp.MustCompile(`\baws\b`), regexp.MustCompile(`us-west-2`), regexp.MustCompile(`fullstack`)},
	"docker": {regexp.MustCompile(`container:guide-docker`)},
}

// TestGuideExamples runs every example of the provider guide as a new user would: validate,
// then local plan. validate gives no error and no "ignored" or "has no effect" warning; the
// plan succeeds and names each field's effect. The cloud providers plan against their strict
// fakes (their APIs are not reachable here); kubernetes plans without a cluster. docker and
// devpod need the engine (and devpod its binary): with SINDRI_HEAVY=1 only.
func TestGuideExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(guideExamples, "*.sindri.yaml"))
	if err != nil || len(files) != len(guideEffects) {
		t.Fatalf("%d guide examples (%v), %d rows in guideEffects", len(files), err, len(guideEffects))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sindri.yaml")
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"validate", "-c", f}, func(string) string { return "" }, &out, &errOut)
			text := out.String() + errOut.String()
			if code != 0 || strings.Contains(text, "error:") {
				t.Fatalf("validate: exit %d:\n%s", code, text)
			}
			for _, bad := range []string{"ignored", "has no effect", "not used", "unused"} {
				if strings.Contains(text, bad) {
					t.Errorf("validate warns %q:\n%s", bad, text)
				}
			}
			env := guideEnv(t, name)
			if env == nil {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			out.Reset()
			errOut.Reset()
			code = run(ctx, []string{"local", "plan", "-c", f}, func(k string) string { return env[k] }, &out, &errOut)
			plan := out.String()
			if code != 0 {
				t.Fatalf("local plan: exit %d:\n%s\n%s", code, plan, errOut.String())
			}
			for _, re := range guideEffects[name] {
				if !re.MatchString(plan) {
					t.Errorf("the plan does not show %s:\n%s", re, plan)
				}
			}
		})
	}
}

// guideEnv is the environment a local plan of example name runs with: the API of its fake and
// an accepted credential; nil skips the plan (its real boundary is not available).
func guideEnv(t *testing.T, name string) map[string]string {
	t.Helper()
	heavy := suite.heavy
	switch name {
	case "fly":
		f := flytest.New(t, flytest.Options{})
		return map[string]string{"SINDRI_FLY_API_URL": f.URL, "FLY_API_TOKEN": flytest.DefaultToken}
	case "runpod":
		f := runpodtest.New(t, "rp-test-key")
		return map[string]string{"SINDRI_RUNPOD_API_URL": f.URL(), "RUNPOD_API_KEY": "rp-test-key"}
	case "northflank":
		f := northflanktest.New(t, "nf-test-token")
		return map[string]string{"SINDRI_NORTHFLANK_API_URL": f.URL(), "NORTHFLANK_API_TOKEN": "nf-test-token"}
	case "e2b":
		f := e2btest.New(t, "e2b-test-key")
		return map[string]string{"SINDRI_E2B_API_URL": f.URL(), "E2B_API_KEY": "e2b-test-key"}
	case "kubernetes", "packer":
		return map[string]string{"HOME": t.TempDir()}
	case "docker":
		if !heavy {
			t.Log("docker plan needs the engine: SINDRI_HEAVY=1")
			return nil
		}
		return map[string]string{"HOME": t.TempDir()}
	case "devpod":
		if !heavy {
			t.Log("devpod plan needs devpod: SINDRI_HEAVY=1")
			return nil
		}
		bin, err := exec.Command("../../scripts/tools.sh", "devpod").Output()
		if err != nil {
			t.Fatalf("tools.sh devpod: %v", err)
		}
		return map[string]string{"HOME": t.TempDir(), "SINDRI_DEVPOD_BINARY": strings.TrimSpace(string(bin))}
	}
	t.Fatalf("no environment for guide example %s", name)
	return nil
}
