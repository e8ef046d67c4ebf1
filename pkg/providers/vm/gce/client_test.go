package gce_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/gce"
	"github.com/sindri/deploy/v3/pkg/providers/vm/gce/gcetest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudtest"
)

func newClient(t *testing.T, f *gcetest.Fake, keyJSON []byte, rec *rest.Recorder) *gce.Client {
	t.Helper()
	k, err := gce.ParseKey(keyJSON)
	if err != nil {
		t.Fatal(err)
	}
	c, err := gce.New(gce.Config{Project: f.Project(), Zone: f.Zone(), Key: k, Endpoint: f.Endpoint,
		Options: cloudtest.Options(f.Client(), rec)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func insertBody(f *gcetest.Fake, name string) gce.Instance {
	return gce.Instance{Name: name, MachineType: gce.MachineTypeURL(f.Zone(), "e2-standard-2"),
		Labels: map[string]string{"sindri_dev_env": "pr-1"},
		Disks:  []gce.AttachedDisk{{Boot: true, AutoDelete: true, InitializeParams: &gce.DiskInit{SourceImage: gce.ImageURL(f.Project(), "img-1")}}}}
}

// The instance lifecycle through the client: insert (operation polled to DONE), list by
// label, stop to TERMINATED, start, delete to gone; no request carries the key or the JWT
// in a recording.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	f := gcetest.New(t, gcetest.Options{Transition: 5 * time.Millisecond})
	f.AddImage("img-1", nil, time.Now())
	rec := &rest.Recorder{}
	c := newClient(t, f, f.KeyJSON(), rec)
	ctx := t.Context()
	if err := c.InsertInstance(ctx, insertBody(f, "vm-a")); err != nil {
		t.Fatal(err)
	}
	waitStatus := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			in, err := c.GetInstance(ctx, "vm-a")
			if err == nil && in.Status == want {
				return
			}
		}
		t.Fatalf("vm-a never reached %s", want)
	}
	waitStatus(gce.StatusRunning)
	got, err := c.ListInstances(ctx, map[string]string{"sindri_dev_env": "pr-1"})
	if err != nil || len(got) != 1 {
		t.Fatalf("list = %v, %v", got, err)
	}
	if other, _ := c.ListInstances(ctx, map[string]string{"sindri_dev_env": "pr-2"}); len(other) != 0 {
		t.Errorf("filter ignored: %v", other)
	}
	if err := c.StopInstance(ctx, "vm-a"); err != nil {
		t.Fatal(err)
	}
	waitStatus(gce.StatusTerminated)
	if err := c.StartInstance(ctx, "vm-a"); err != nil {
		t.Fatal(err)
	}
	waitStatus(gce.StatusRunning)
	for range 2 {
		if err := c.DeleteInstance(ctx, "vm-a"); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := c.GetInstance(ctx, "vm-a"); errors.Is(err, providers.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("vm-a was never gone")
		}
	}
	for _, l := range rec.Lines() {
		if strings.Contains(l, "PRIVATE KEY") || strings.Contains(l, "assertion=ey") {
			t.Errorf("recorded a credential: %s", l)
		}
	}
}

// A key the token endpoint did not issue (its signature does not verify) is ErrAuth, and
// no Compute call is made.
func TestForeignKeyRefused(t *testing.T) {
	t.Parallel()
	f := gcetest.New(t, gcetest.Options{})
	var key map[string]string
	if err := json.Unmarshal(f.KeyJSON(), &key); err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(other)
	key["private_key"] = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	forged, _ := json.Marshal(key)
	c := newClient(t, f, forged, nil)
	_, err := c.ListInstances(t.Context(), nil)
	if !errors.Is(err, providers.ErrAuth) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("list with a forged key = %v, want ErrAuth", err)
	}
	if n := f.API.Count("GET /compute/v1/projects/{project}/zones/{zone}/instances"); n != 0 {
		t.Errorf("%d Compute calls without a token", n)
	}
}

// An insert applied whose answer is lost is one instance: the client finds it by name.
func TestLostInsertIsOneInstance(t *testing.T) {
	t.Parallel()
	f := gcetest.New(t, gcetest.Options{})
	f.AddImage("img-1", nil, time.Now())
	f.API.Add(apifake.Rule{Route: "POST /compute/v1/projects/{project}/zones/{zone}/instances", Nth: 1, Action: apifake.ApplyThenDrop()})
	c := newClient(t, f, f.KeyJSON(), nil)
	if err := c.InsertInstance(t.Context(), insertBody(f, "vm-b")); err != nil {
		t.Fatal(err)
	}
	if got := f.Instances("sindri_dev_env", "pr-1"); len(got) != 1 {
		t.Fatalf("instances %v, want one", got)
	}
}

// Errors map onto the providers kinds: a missing image is ErrNotFound, an insert whose
// operation fails for capacity ErrCapacity naming the code, a rejected body ErrInvalidSpec.
func TestErrors(t *testing.T) {
	t.Parallel()
	f := gcetest.New(t, gcetest.Options{API: []apifake.Option{apifake.CollectViolations()}})
	c := newClient(t, f, f.KeyJSON(), nil)
	ctx := t.Context()
	if err := c.InsertInstance(ctx, insertBody(f, "vm-c")); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("insert from a missing image = %v, want ErrNotFound", err)
	}
	f.AddImage("img-1", nil, time.Now())
	f.FailInserts("ZONE_RESOURCE_POOL_EXHAUSTED", "The zone does not have enough resources available.")
	if err := c.InsertInstance(ctx, insertBody(f, "vm-c")); !errors.Is(err, providers.ErrCapacity) || !strings.Contains(err.Error(), "ZONE_RESOURCE_POOL_EXHAUSTED") {
		t.Errorf("insert without capacity = %v, want ErrCapacity", err)
	}
	bad := insertBody(f, "Not_A_Name")
	if err := c.InsertInstance(ctx, bad); !errors.Is(err, providers.ErrInvalidSpec) || len(f.API.Violations()) == 0 {
		t.Errorf("insert of a bad name = %v (violations %v), want ErrInvalidSpec", err, f.API.Violations())
	}
	if _, err := c.GetImage(ctx, "nope"); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("get a missing image = %v", err)
	}
	if err := c.DeleteImage(ctx, "nope"); err != nil {
		t.Errorf("delete a missing image = %v, want success", err)
	}
	var ae *providers.APIError
	f.API.Add(apifake.Rule{Route: "GET /compute/v1/projects/{project}/global/images", Action: apifake.Respond(http.StatusTooManyRequests, nil)})
	if _, err := c.ListImages(ctx, nil); !errors.As(err, &ae) || ae.Code != "rateLimitExceeded" || !providers.IsRetryable(err) {
		t.Errorf("throttled list = %v, want retryable rateLimitExceeded", err)
	}
}

// A key file that is not a service-account key is refused naming the field, never quoting
// the key.
func TestParseKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`not json`: "not JSON",
		`{"type":"authorized_user","client_secret":"s3cr3t-value"}`:                    `"type"`,
		`{"type":"service_account","client_email":"a@b","private_key":"s3cr3t-value"}`: `"private_key" is not PEM`,
		`{"type":"service_account","private_key":"x"}`:                                 `"client_email"`,
	} {
		_, err := gce.ParseKey([]byte(in))
		if !errors.Is(err, providers.ErrInvalidSpec) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("ParseKey(%s) = %v, want ErrInvalidSpec with %q", in, err, want)
		}
	}
}
