package alicloud_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/alicloud"
	"github.com/sindri/deploy/v3/pkg/providers/vm/alicloud/alicloudtest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudtest"
)

func newClient(t *testing.T, f *alicloudtest.Fake, rec *rest.Recorder, tweak ...func(*alicloud.Config)) *alicloud.Client {
	t.Helper()
	cfg := alicloud.Config{Region: f.Region(), Endpoint: f.URL, Credentials: f.Credentials(), Options: cloudtest.Options(f.Client(), rec)}
	return cloudtest.New(t, cfg, alicloud.New, tweak...)
}

func wait(t *testing.T, c *alicloud.Client, id, status string) alicloud.Instance {
	t.Helper()
	for range 400 {
		got, err := c.DescribeInstances(t.Context(), alicloud.InstanceFilter{IDs: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 && got[0].Status == status {
			return got[0]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("instance %s never reached %s", id, status)
	return alicloud.Instance{}
}

func runInput(image, env, token string) alicloud.RunInput {
	return alicloud.RunInput{ImageID: image, InstanceType: "ecs.g7.large", VSwitchID: "vsw-fake", SecurityGroupID: "sg-fake",
		InstanceName: env, UserData: "#cloud-config\n", SystemDiskGB: 60, InternetMaxBandwidthOut: 10,
		Tags: map[string]string{"sindri.dev/env": env}, ClientToken: token}
}

// TestLifecycle drives an instance through ECS's statuses with signed requests: a repeated
// ClientToken, tag filters over pages, stop with StopCharging, start, a release the status
// refuses, release.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	f := alicloudtest.New(t, alicloudtest.Options{})
	rec := &rest.Recorder{}
	c := newClient(t, f, rec)
	ctx := t.Context()
	img := f.AddImage("img-1", map[string]string{"sindri.dev/image": "img"}, time.Now())
	id, err := c.RunInstances(ctx, runInput(img, "e1", "tok-1"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.RunInstances(ctx, runInput(img, "e1", "tok-1"))
	if err != nil || again != id {
		t.Fatalf("a repeated ClientToken made %s, %v; want %s", again, err, id)
	}
	other := runInput(img, "e1", "tok-1")
	other.InstanceType = "ecs.g7.xlarge"
	if _, err := c.RunInstances(ctx, other); !errors.Is(err, providers.ErrConflict) {
		t.Errorf("a token reused with other parameters: %v, want ErrConflict", err)
	}
	if err := c.DeleteInstance(ctx, id); !errors.Is(err, providers.ErrConflict) {
		t.Errorf("release while Pending: %v, want ErrConflict (IncorrectInstanceStatus)", err)
	}
	in := wait(t, c, id, alicloud.StatusRunning)
	if in.PublicAddress() == "" || in.PrivateAddress() == "" || in.Tags.Map()["sindri.dev/env"] != "e1" {
		t.Errorf("running instance %+v lacks addresses or tags", in)
	}
	found, err := c.DescribeInstances(ctx, alicloud.InstanceFilter{Tags: map[string]string{"sindri.dev/env": "e1"}, Status: alicloud.StatusRunning})
	if err != nil || len(found) != 1 {
		t.Fatalf("by tag: %v %v", found, err)
	}
	if err := c.TagInstance(ctx, id, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if in := wait(t, c, id, alicloud.StatusRunning); in.Tags.Map()["k"] != "v" || in.Tags.Map()["sindri.dev/env"] != "e1" {
		t.Errorf("tags after TagResources: %v", in.Tags.Map())
	}
	if err := c.StopInstance(ctx, id, alicloud.StopCharging); err != nil {
		t.Fatal(err)
	}
	if err := c.StartInstance(ctx, id); !errors.Is(err, providers.ErrConflict) {
		t.Errorf("start while Stopping: %v, want ErrConflict", err)
	}
	wait(t, c, id, alicloud.StatusStopped)
	if err := c.StartInstance(ctx, id); err != nil {
		t.Fatal(err)
	}
	wait(t, c, id, alicloud.StatusRunning)
	for range 2 {
		if err := c.DeleteInstance(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.Instances("sindri.dev/env", "e1"); len(got) != 0 {
		t.Errorf("released instance still there: %v", got)
	}
	for _, call := range rec.Calls() {
		if strings.Contains(call.Body, "Signature=") || strings.Contains(call.Body, f.Credentials().AccessKeySecret) {
			t.Errorf("a recorded call carries the signature or secret: %s", call.Body)
		}
	}
}

// TestImagesAndPages lists images by tag over pages, newest first, and deletes one with its
// snapshot.
func TestImagesAndPages(t *testing.T) {
	t.Parallel()
	f := alicloudtest.New(t, alicloudtest.Options{})
	c := newClient(t, f, nil)
	now := time.Now()
	var ids []string
	for i := range 55 {
		ids = append(ids, f.AddImage("img", map[string]string{"k": "v"}, now.Add(time.Duration(i)*time.Minute)))
	}
	f.AddImage("foreign", map[string]string{"k": "other"}, now)
	got, err := c.DescribeImages(t.Context(), nil, map[string]string{"k": "v"})
	if err != nil || len(got) != 55 || got[0].ID != ids[54] {
		t.Fatalf("%d images, %v; want 55, newest first", len(got), err)
	}
	snap := got[0].Disks.Mapping[0].SnapshotID
	if err := c.DeleteSnapshot(t.Context(), snap); !errors.Is(err, providers.ErrConflict) {
		t.Errorf("deleting the snapshot of a live image: %v, want ErrConflict", err)
	}
	for range 2 {
		if err := c.DeleteImage(t.Context(), ids[54]); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.DeleteSnapshot(t.Context(), snap); err != nil {
		t.Fatal(err)
	}
}

// TestThrottlingIsRetried: ECS throttles with HTTP 400 Throttling.User; the client retries
// it, and an exhausted retry is a retryable ErrUnavailable.
func TestThrottlingIsRetried(t *testing.T) {
	t.Parallel()
	f := alicloudtest.New(t, alicloudtest.Options{})
	f.API.Add(apifake.Rule{Times: 2, Action: apifake.Respond(http.StatusBadRequest, alicloudtest.ThrottleBody)})
	c := newClient(t, f, nil)
	if _, err := c.DescribeImages(t.Context(), nil, nil); err != nil {
		t.Fatalf("through two throttles: %v", err)
	}
	f.API.Add(apifake.Rule{Action: apifake.Respond(http.StatusBadRequest, alicloudtest.ThrottleBody)})
	_, err := c.DescribeImages(t.Context(), nil, nil)
	if !errors.Is(err, providers.ErrUnavailable) || !providers.IsRetryable(err) {
		t.Errorf("always throttled: %v, want a retryable ErrUnavailable", err)
	}
}

// TestWrongSecretRefused: a request signed with another secret is SignatureDoesNotMatch
// (ErrAuth), sent once.
func TestWrongSecretRefused(t *testing.T) {
	t.Parallel()
	f := alicloudtest.New(t, alicloudtest.Options{API: []apifake.Option{apifake.CollectViolations()}})
	c := newClient(t, f, nil, func(cfg *alicloud.Config) { cfg.Credentials.AccessKeySecret = "wrong-secret-value" })
	_, err := c.DescribeInstances(t.Context(), alicloud.InstanceFilter{})
	if !errors.Is(err, providers.ErrAuth) || providers.IsRetryable(err) {
		t.Fatalf("wrong secret: %v, want ErrAuth, not retryable", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-value") {
		t.Error("the error quotes the secret")
	}
	if n := f.API.Total(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestLostRunIsOneInstance: a RunInstances applied with its answer lost is resent (a fresh
// nonce, the same ClientToken) and answers the instance it made.
func TestLostRunIsOneInstance(t *testing.T) {
	t.Parallel()
	f := alicloudtest.New(t, alicloudtest.Options{})
	f.API.Add(apifake.Rule{Nth: 1, Action: apifake.ApplyThenDrop()})
	c := newClient(t, f, nil)
	img := f.AddImage("img", nil, time.Now())
	id, err := c.RunInstances(t.Context(), runInput(img, "e", "tok"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Instances("sindri.dev/env", "e"); len(got) != 1 || got[0] != id {
		t.Errorf("instances %v, want just %s", got, id)
	}
}

// TestPercentEncode pins the RPC encoding and a signature from its documented recipe.
func TestPercentEncode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"a b": "a%20b", "a*b": "a%2Ab", "a~b": "a~b", "/": "%2F", "=&": "%3D%26", "é": "%C3%A9"} {
		if got := alicloud.PercentEncode(in); got != want {
			t.Errorf("PercentEncode(%q) = %q, want %q", in, got, want)
		}
	}
	sts := alicloud.StringToSign("GET", map[string][]string{"B": {"2"}, "A": {"1 2"}})
	if want := "GET&%2F&A%3D1%25202%26B%3D2"; sts != want {
		t.Errorf("StringToSign = %q, want %q", sts, want)
	}
}

// TestErrorCodes maps ECS's codes onto the providers sentinels.
func TestErrorCodes(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]error{
		"InvalidAccessKeyId.NotFound": providers.ErrAuth, "SignatureDoesNotMatch": providers.ErrAuth,
		"InvalidInstanceId.NotFound": providers.ErrNotFound, "IncorrectInstanceStatus": providers.ErrConflict,
		"Throttling.User": providers.ErrUnavailable, "QuotaExceed.ElasticQuota": providers.ErrQuota,
		"OperationDenied.NoStock": providers.ErrCapacity, "InvalidParameter": providers.ErrInvalidSpec,
	} {
		if got := alicloud.Cause(code); got != want {
			t.Errorf("Cause(%s) = %v, want %v", code, got, want)
		}
	}
}
