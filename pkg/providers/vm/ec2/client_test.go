package ec2_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2/ec2test"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudtest"
)

func newClient(t *testing.T, f *ec2test.Fake, rec *rest.Recorder, tweak ...func(*ec2.Config)) *ec2.Client {
	t.Helper()
	cfg := ec2.Config{Region: f.Region(), Endpoint: f.URL, Credentials: f.Credentials(), Options: cloudtest.Options(f.Client(), rec)}
	return cloudtest.New(t, cfg, ec2.New, tweak...)
}

// wait polls instance id until it is in state.
func wait(t *testing.T, c *ec2.Client, id, state string) ec2.Instance {
	t.Helper()
	for range 200 {
		got, err := c.DescribeInstances(t.Context(), []string{id})
		if err != nil {
			t.Fatal(err)
		}
		if got[0].State.Name == state {
			return got[0]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("instance %s never reached %s", id, state)
	return ec2.Instance{}
}

// TestLifecycle drives one instance through the whole state machine, with a session token,
// tags at launch and on update, pagination and a repeated ClientToken.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	f := ec2test.New(t, ec2test.Options{SessionToken: "fake-session-token-xyz"})
	rec := &rest.Recorder{}
	c := newClient(t, f, rec)
	ctx := t.Context()
	ami := f.AddImage("img-1", map[string]string{"sindri.dev/image": "img"}, time.Now())
	in := ec2.RunInput{ImageID: ami, InstanceType: "t3.large", ClientToken: "tok-1", UserData: "#cloud-config\n",
		Tags: ec2.TagList(map[string]string{"sindri.dev/env": "e1", "Name": "e1"})}
	first, err := c.RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.RunInstances(ctx, in)
	if err != nil || again.ID != first.ID {
		t.Fatalf("a repeated ClientToken made %v, %v; want instance %s again", again, err, first.ID)
	}
	in.InstanceType = "t3.small"
	if _, err := c.RunInstances(ctx, in); !errors.Is(err, providers.ErrConflict) {
		t.Errorf("a token reused with other parameters: %v, want ErrConflict", err)
	}
	for i := range 3 { // more than one page
		if _, err := c.RunInstances(ctx, ec2.RunInput{ImageID: ami, InstanceType: "t3.micro", ClientToken: "other-" + string(rune('a'+i)),
			Tags: ec2.TagList(map[string]string{"sindri.dev/env": "e2"})}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := c.DescribeInstances(ctx, nil, ec2.TagFilter("sindri.dev/env", "e2"))
	if err != nil || len(all) != 3 {
		t.Fatalf("DescribeInstances by tag: %d instances, %v; want 3 over two pages", len(all), err)
	}
	run := wait(t, c, first.ID, ec2.StateRunning)
	if run.PublicIP == "" || ec2.TagMap(run.Tags)["Name"] != "e1" {
		t.Errorf("running instance %+v: want a public IP and its launch tags", run)
	}
	if err := c.CreateTags(ctx, []string{first.ID}, []ec2.Tag{{Key: "sindri.dev/sha", Value: "abc"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StopInstances(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	wait(t, c, first.ID, ec2.StateStopped)
	if _, err := c.StartInstances(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	wait(t, c, first.ID, ec2.StateRunning)
	if _, err := c.TerminateInstances(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartInstances(ctx, first.ID); !errors.Is(err, providers.ErrConflict) {
		t.Errorf("start of a terminating instance: %v, want ErrConflict (IncorrectInstanceState)", err)
	}
	wait(t, c, first.ID, ec2.StateTerminated)
	if _, err := c.TerminateInstances(ctx, first.ID); err != nil {
		t.Errorf("terminating a terminated instance again: %v", err)
	}
	for _, call := range rec.Calls() {
		if strings.Contains(call.Body, f.Credentials().SecretAccessKey) || strings.Contains(call.Body, "fake-session-token-xyz") {
			t.Errorf("recorded call %s holds a credential", call.Op)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	f := ec2test.New(t, ec2test.Options{API: []apifake.Option{apifake.CollectViolations()}})
	c := newClient(t, f, nil)
	ctx := t.Context()
	if _, err := c.DescribeInstances(ctx, []string{"i-0000000000000dead"}); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("unknown instance: %v, want ErrNotFound", err)
	}
	if _, err := c.RunInstances(ctx, ec2.RunInput{ImageID: "ami-missing", InstanceType: "t3.large", ClientToken: "x"}); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("unknown AMI: %v, want ErrNotFound", err)
	}
	var ae *providers.APIError
	_, err := c.DescribeImages(ctx, []string{"self"}, nil, ec2.Filter{Name: "no-such-filter", Values: []string{"x"}})
	if !errors.As(err, &ae) || ae.Code != "InvalidParameterValue" || !errors.Is(err, providers.ErrInvalidSpec) {
		t.Errorf("unknown filter: %v, want InvalidParameterValue (ErrInvalidSpec)", err)
	}
	bad := newClient(t, f, nil, func(cfg *ec2.Config) { cfg.Credentials.SecretAccessKey = "wrong-secret" })
	_, err = bad.DescribeImages(ctx, []string{"self"}, nil)
	if !errors.As(err, &ae) || ae.Status != http.StatusForbidden || !errors.Is(err, providers.ErrAuth) {
		t.Errorf("wrong secret: %v, want 403 SignatureDoesNotMatch (ErrAuth)", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("the error holds the secret: %v", err)
	}
	if v := f.API.Violations(); !slices.ContainsFunc(v, func(s string) bool { return strings.Contains(s, "SignatureDoesNotMatch") }) {
		t.Errorf("violations %q: want the bad signature", v)
	}
}

// A lost RunInstances answer is sent again with the same ClientToken: one instance.
func TestLostRunIsOneInstance(t *testing.T) {
	t.Parallel()
	f := ec2test.New(t, ec2test.Options{})
	c := newClient(t, f, nil)
	ami := f.AddImage("img", nil, time.Now())
	f.API.Add(apifake.Rule{Route: "POST /", Nth: 1, Action: apifake.ApplyThenDrop()})
	in, err := c.RunInstances(context.Background(), ec2.RunInput{ImageID: ami, InstanceType: "t3.large", ClientToken: "tok",
		Tags: ec2.TagList(map[string]string{"k": "v"})})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Instances("k", "v"); !slices.Equal(got, []string{in.ID}) {
		t.Errorf("instances %v, want only %s", got, in.ID)
	}
}

// TestImages deletes an image and its snapshot; deleting again is success.
func TestImages(t *testing.T) {
	t.Parallel()
	f := ec2test.New(t, ec2test.Options{})
	c := newClient(t, f, nil)
	ctx := t.Context()
	ami := f.AddImage("img", map[string]string{"sindri.dev/image": "x"}, time.Now())
	ims, err := c.DescribeImages(ctx, []string{"self"}, nil, ec2.TagFilter("sindri.dev/image", "x"))
	if err != nil || len(ims) != 1 || ims[0].ID != ami || ims[0].BlockDevices[0].EBS == nil {
		t.Fatalf("DescribeImages = %+v, %v", ims, err)
	}
	snap := ims[0].BlockDevices[0].EBS.SnapshotID
	if err := c.DeleteSnapshot(ctx, snap); err == nil {
		t.Errorf("deleting the snapshot of a registered image succeeded")
	}
	for range 2 {
		if err := c.DeregisterImage(ctx, ami); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteSnapshot(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.Images()) != 0 || len(f.Snapshots()) != 0 {
		t.Errorf("images %v snapshots %v left", f.Images(), f.Snapshots())
	}
}
