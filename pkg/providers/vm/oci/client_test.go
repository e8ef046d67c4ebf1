package oci_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudtest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/oci"
	"github.com/sindri/deploy/v3/pkg/providers/vm/oci/ocitest"
)

func newClient(t *testing.T, f *ocitest.Fake, rec *rest.Recorder, tweak ...func(*oci.Config)) *oci.Client {
	t.Helper()
	cfg := oci.Config{Region: f.Region(), Endpoint: f.URL, Credentials: f.Credentials(), Options: cloudtest.Options(f.Client(), rec)}
	return cloudtest.New(t, cfg, oci.New, tweak...)
}

func launchDetails(f *ocitest.Fake, image, env string) oci.LaunchDetails {
	return oci.LaunchDetails{AvailabilityDomain: "Uocm:PHX-AD-1", CompartmentID: f.Compartment(), Shape: "VM.Standard.E4.Flex",
		ShapeConfig:       &oci.ShapeConfig{OCPUs: 2, MemoryInGBs: 16},
		SourceDetails:     oci.SourceDetails{SourceType: "image", ImageID: image, BootVolumeSizeInGBs: 60},
		CreateVnicDetails: &oci.CreateVnicDetails{SubnetID: "ocid1.subnet.oc1..fake"}, DisplayName: env,
		FreeformTags: map[string]string{"sindri.dev/env": env}, Metadata: map[string]string{"user_data": "I2Nsb3VkLWNvbmZpZwo="}}
}

// wait polls instance id until it is in state.
func wait(t *testing.T, c *oci.Client, id, state string) oci.Instance {
	t.Helper()
	for range 400 {
		got, err := c.GetInstance(t.Context(), id)
		switch {
		case errors.Is(err, providers.ErrNotFound):
			// A new instance may be unknown to reads for a moment (the fake's Lag).
			time.Sleep(5 * time.Millisecond)
			continue
		case err != nil:
			t.Fatal(err)
		}
		if got.LifecycleState == state {
			return *got
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("instance %s never reached %s", id, state)
	return oci.Instance{}
}

// TestLifecycle drives an instance through OCI's lifecycle with signed requests: a launch
// repeated with its retry token, pagination, stop, start, an action its state refuses,
// addresses, terminate twice.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	f := ocitest.New(t, ocitest.Options{})
	rec := &rest.Recorder{}
	c := newClient(t, f, rec)
	ctx := t.Context()
	img := f.AddImage("img-1", map[string]string{"sindri.dev/image": "img"}, time.Now())
	d := launchDetails(f, img, "e1")
	first, err := c.LaunchInstance(ctx, d, "tok-1")
	if err != nil {
		t.Fatal(err)
	}
	if first.LifecycleState != oci.StateProvisioning {
		t.Errorf("a new instance is %s, want PROVISIONING", first.LifecycleState)
	}
	again, err := c.LaunchInstance(ctx, d, "tok-1")
	if err != nil || again.ID != first.ID {
		t.Fatalf("a repeated retry token made %v, %v; want instance %s again", again, err, first.ID)
	}
	d.Shape = "VM.Standard.E5.Flex"
	if _, err := c.LaunchInstance(ctx, d, "tok-1"); !errors.Is(err, providers.ErrConflict) {
		t.Errorf("a token reused with another body: %v, want ErrConflict", err)
	}
	for i := range 3 {
		if _, err := c.LaunchInstance(ctx, launchDetails(f, img, "e2"), "tok-e2-"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	all, err := c.ListInstances(ctx, f.Compartment(), "")
	if err != nil || len(all) != 4 {
		t.Fatalf("list over pages: %d instances, %v; want 4", len(all), err)
	}
	wait(t, c, first.ID, oci.StateRunning)
	pub, priv, err := c.Addresses(ctx, f.Compartment(), first.ID)
	if err != nil || pub == "" || priv == "" {
		t.Errorf("addresses of a running instance: %q %q %v", pub, priv, err)
	}
	upd, err := c.UpdateInstance(ctx, first.ID, oci.UpdateDetails{FreeformTags: map[string]string{"sindri.dev/env": "e1", "k": "v"}})
	if err != nil || upd.FreeformTags["k"] != "v" {
		t.Fatalf("update tags: %+v, %v", upd, err)
	}
	if _, err := c.InstanceAction(ctx, first.ID, oci.ActionStop, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InstanceAction(ctx, first.ID, oci.ActionStart, ""); !errors.Is(err, providers.ErrConflict) {
		t.Errorf("START while STOPPING: %v, want ErrConflict (IncorrectState)", err)
	}
	wait(t, c, first.ID, oci.StateStopped)
	if _, err := c.InstanceAction(ctx, first.ID, oci.ActionStart, ""); err != nil {
		t.Fatal(err)
	}
	wait(t, c, first.ID, oci.StateRunning)
	for range 2 {
		if err := c.TerminateInstance(ctx, first.ID); err != nil {
			t.Fatal(err)
		}
	}
	wait(t, c, first.ID, oci.StateTerminated)
	if _, err := c.GetInstance(ctx, "ocid1.instance.oc1..nope"); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("unknown instance: %v, want ErrNotFound", err)
	}
	for _, call := range rec.Calls() {
		if strings.Contains(call.Body, "Signature") || call.Header.Get("Authorization") != "" {
			t.Errorf("a recorded call carries the signature: %+v", call)
		}
	}
}

// TestImages lists images newest first over pages and deletes one twice.
func TestImages(t *testing.T) {
	t.Parallel()
	f := ocitest.New(t, ocitest.Options{})
	c := newClient(t, f, nil)
	now := time.Now()
	var ids []string
	for i := range 3 {
		ids = append(ids, f.AddImage("img", map[string]string{"k": "v"}, now.Add(time.Duration(i)*time.Minute)))
	}
	got, err := c.ListImages(t.Context(), f.Compartment())
	if err != nil || len(got) != 3 || got[0].ID != ids[2] {
		t.Fatalf("images %+v, %v; want 3, newest (%s) first", got, err, ids[2])
	}
	for range 2 {
		if err := c.DeleteImage(t.Context(), ids[0]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.GetImage(t.Context(), ids[0]); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("deleted image: %v, want ErrNotFound", err)
	}
}

// TestWrongKeyRefused: a request signed with another key is NotAuthenticated (ErrAuth),
// never retried.
func TestWrongKeyRefused(t *testing.T) {
	t.Parallel()
	f := ocitest.New(t, ocitest.Options{API: []apifake.Option{apifake.CollectViolations()}})
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, f, nil, func(cfg *oci.Config) { cfg.Credentials.PrivateKey = other })
	_, err = c.ListInstances(t.Context(), f.Compartment(), "")
	if !errors.Is(err, providers.ErrAuth) || providers.IsRetryable(err) {
		t.Fatalf("wrong key: %v, want ErrAuth, not retryable", err)
	}
	if n := f.API.Total(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestLostLaunchIsOneInstance: a launch applied with its answer lost is resent with the same
// retry token and answers the instance it made.
func TestLostLaunchIsOneInstance(t *testing.T) {
	t.Parallel()
	f := ocitest.New(t, ocitest.Options{})
	f.API.Add(apifake.Rule{Route: "POST /20160918/instances", Nth: 1, Action: apifake.ApplyThenDrop()},
		apifake.Rule{Route: "GET /20160918/instances", Nth: 1, Action: apifake.TooManyRequests(0)},
		apifake.Rule{Route: "GET /20160918/instances", Nth: 2, Action: apifake.Respond(http.StatusServiceUnavailable, nil)})
	c := newClient(t, f, nil)
	img := f.AddImage("img", nil, time.Now())
	in, err := c.LaunchInstance(t.Context(), launchDetails(f, img, "e"), "tok")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Instances("sindri.dev/env", "e"); len(got) != 1 || got[0] != in.ID {
		t.Errorf("instances %v, want just %s", got, in.ID)
	}
	if _, err := c.ListInstances(t.Context(), f.Compartment(), ""); err != nil {
		t.Errorf("list through a 429 and a 503: %v", err)
	}
}

// TestErrorCodes maps OCI's codes onto the providers sentinels.
func TestErrorCodes(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]error{
		"NotAuthenticated": providers.ErrAuth, "NotAuthorizedOrNotFound": providers.ErrNotFound,
		"LimitExceeded": providers.ErrQuota, "IncorrectState": providers.ErrConflict,
		"InvalidParameter": providers.ErrInvalidSpec, "TooManyRequests": providers.ErrUnavailable,
	} {
		if got := oci.Cause(code, "some message"); got != want {
			t.Errorf("Cause(%s) = %v, want %v", code, got, want)
		}
	}
	if oci.Cause("SomethingElse", "") != nil || oci.Cause("InternalError", "something broke") != nil {
		t.Error("an unknown code, or a generic InternalError, has a cause")
	}
}

// TestParsePrivateKey reads PKCS#1 and PKCS#8 keys and refuses an encrypted one without
// quoting it.
func TestParsePrivateKey(t *testing.T) {
	t.Parallel()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p8, _ := x509.MarshalPKCS8PrivateKey(k)
	for name, b := range map[string]*pem.Block{
		"pkcs1": {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)},
		"pkcs8": {Type: "PRIVATE KEY", Bytes: p8},
	} {
		got, err := oci.ParsePrivateKey(pem.EncodeToMemory(b))
		if err != nil || !got.Equal(k) {
			t.Errorf("%s: %v", name, err)
		}
	}
	enc := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte("secret-bytes")})
	if _, err := oci.ParsePrivateKey(enc); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("encrypted key: %v", err)
	}
	if _, err := oci.ParsePrivateKey([]byte("not pem")); err == nil {
		t.Error("a non-PEM key file parsed")
	}
}

// TestOutOfHostCapacity: OCI's launch without capacity (500 InternalError "Out of host
// capacity.") is ErrCapacity, not retried.
func TestOutOfHostCapacity(t *testing.T) {
	t.Parallel()
	f := ocitest.New(t, ocitest.Options{})
	f.OutOfCapacity("VM.Standard.E4.Flex")
	c := newClient(t, f, nil)
	img := f.AddImage("img", nil, time.Now())
	_, err := c.LaunchInstance(t.Context(), launchDetails(f, img, "e"), "tok")
	if !errors.Is(err, providers.ErrCapacity) || providers.IsRetryable(err) {
		t.Fatalf("launch without capacity: %v, want ErrCapacity, not retryable", err)
	}
	if n := f.API.Count("POST /20160918/instances"); n != 1 {
		t.Errorf("%d launches sent, want 1", n)
	}
}
