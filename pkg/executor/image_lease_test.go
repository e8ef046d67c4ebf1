package executor_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2/ec2test"
)

const leaseVMConfig = "version: \"3.0\"\nname: vm\ndeployment:\n  provider: packer\nproviders:\n  packer:\n    cloud: aws\n    region: us-west-2\n"

// fakePacker writes a packer executable into dir: `version` answers 1.6.6; `build` appends a
// line to dir/builds, waits until dir/ami names the image the test registered, and prints it
// as packer's machine-readable artifact.
func fakePacker(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "packer")
	script := fmt.Sprintf(`#!/bin/sh
case "$1" in
version) echo "Packer v1.6.6" ;;
build)
  echo build >> %[1]s/builds
  while [ ! -s %[1]s/ami ]; do sleep 0.02; done
  echo "1765000000,sindri,artifact,0,id,us-west-2:$(cat %[1]s/ami)" ;;
*) echo "unexpected packer $*" >&2; exit 2 ;;
esac
`, dir)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// leaseVMProvider is the packer provider on an EC2 fake holding no image, with fakePacker in
// dir.
func leaseVMProvider(t *testing.T) (*vm.Provider, *ec2test.Fake, string) {
	t.Helper()
	f := ec2test.New(t, ec2test.Options{Transition: 10 * time.Millisecond})
	cr := f.Credentials()
	dir := t.TempDir()
	env := map[string]string{"AWS_ACCESS_KEY_ID": cr.AccessKeyID, "AWS_SECRET_ACCESS_KEY": cr.SecretAccessKey}
	p := vm.New(vm.Config{Binary: fakePacker(t, dir), PATH: "/usr/bin:/bin", Home: t.TempDir(), WorkDir: t.TempDir(),
		Getenv: func(k string) string { return env[k] }, EC2Endpoint: f.URL, HTTPClient: f.Client(),
		PollInterval: 10 * time.Millisecond, BackoffBase: time.Millisecond})
	return p, f, dir
}

// Two environments of one config deploy at once through the executor, with no image built
// from it yet: one job builds it under the image's build lease, the other reports that it
// waits for that build and then runs the built image. Packer runs exactly once.
func TestMissingImageBuiltOnceForConcurrentDeploys(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	p, f, dir := leaseVMProvider(t)
	runExecutor(t, b, spyConfig(p))
	a, waitA := publishVMDeploy(t, b, "lease-a")
	c, waitC := publishVMDeploy(t, b, "lease-b")
	// The build may finish only once the other job says it waits for it.
	cfg, diags := config.Load("sindri.yaml", []byte(leaseVMConfig))
	if cfg == nil {
		t.Fatal(diags)
	}
	key := vm.BuildLockKey(cfg.Providers.Packer)
	var step string
	select {
	case step = <-waitA:
	case step = <-waitC:
	case <-time.After(30 * time.Second):
		t.Fatal("no job reported waiting for the other's build")
	}
	if !strings.Contains(step, key) {
		t.Errorf("waiting step %q, want it to name the build lease %s", step, key)
	}
	ami := finishBuild(t, f, dir)
	for _, id := range []string{a.ID, c.ID} {
		evs := b.follow(t, id, time.Minute)
		wantTerminal(t, evs, events.TypeSucceeded)
		if d := last(evs).Data.(*events.Succeeded).Deployment; d == nil || !strings.Contains(strings.Join(d.Messages, " "), ami) {
			t.Errorf("job %s deployed %+v, want an instance of %s", id, d, ami)
		}
	}
	wantOneBuild(t, dir)
}

// A build lease whose holder died (it stopped renewing) expires: the deploy that waits for
// it takes it over and builds the image itself.
func TestDeadBuildersLeaseExpires(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	p, f, dir := leaseVMProvider(t)
	c, diags := config.Load("sindri.yaml", []byte(leaseVMConfig))
	if c == nil {
		t.Fatal(diags)
	}
	leases, err := events.OpenLeases(t.Context(), b.js)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := leases.Acquire(t.Context(), vm.BuildLockKey(c.Providers.Packer), "crashed-worker/0190f2a0-0000-7000-8000-000000000000/1", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	runExecutor(t, b, spyConfig(p))
	j, waiting := publishVMDeploy(t, b, "after-crash")
	awaitWaiting(t, waiting, "crashed-worker")
	// The build starts only once the dead lease expired.
	waitFor(t, func() bool { _, err := os.Stat(filepath.Join(dir, "builds")); return err == nil })
	if now := time.Now(); now.Before(dead.Expires) {
		t.Errorf("packer started at %v, before the dead holder's lease expired (%v)", now, dead.Expires)
	}
	finishBuild(t, f, dir)
	wantTerminal(t, b.follow(t, j.ID, time.Minute), events.TypeSucceeded)
	wantOneBuild(t, dir)
}

// A deploy that finds the image missing while an image-build job of the same config runs
// waits for that build and runs its image: packer runs once.
func TestDeployWaitsForImageBuildJob(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	p, f, dir := leaseVMProvider(t)
	runExecutor(t, b, spyConfig(p))
	build, err := jobs.New(jobs.KindImageBuild, "sindri-dev", vm.Name)
	if err != nil {
		t.Fatal(err)
	}
	build.Generation = 1
	build.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: leaseVMConfig}
	b.publish(t, build)
	// The deploy starts once packer runs for the image-build job.
	waitFor(t, func() bool { _, err := os.Stat(filepath.Join(dir, "builds")); return err == nil })
	j, waiting := publishVMDeploy(t, b, "after-build")
	awaitWaiting(t, waiting, build.ID)
	ami := finishBuild(t, f, dir)
	wantTerminal(t, b.follow(t, build.ID, time.Minute), events.TypeSucceeded)
	evs := b.follow(t, j.ID, time.Minute)
	wantTerminal(t, evs, events.TypeSucceeded)
	if d := last(evs).Data.(*events.Succeeded).Deployment; d == nil || !strings.Contains(strings.Join(d.Messages, " "), ami) {
		t.Errorf("deployed %+v, want an instance of %s", d, ami)
	}
	wantOneBuild(t, dir)
}

// watchWaiting sends the step of the first progress event of job id that says it waits.
func watchWaiting(b *bus, id string, out chan<- string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for ev, err := range events.Follow(ctx, b.js, id) {
		if err != nil {
			return
		}
		if pr, ok := ev.Data.(*events.Progress); ok && strings.HasPrefix(pr.Step, "waiting for image") {
			out <- pr.Step
			return
		}
	}
}

// publishVMDeploy publishes a deploy of env with leaseVMConfig and returns it, with a channel
// that gets the first progress step in which it waits for an image build.
func publishVMDeploy(t *testing.T, b *bus, env string) (*jobs.Job, <-chan string) {
	t.Helper()
	j, err := jobs.New(jobs.KindDeploy, env, vm.Name)
	if err != nil {
		t.Fatal(err)
	}
	j.Generation = b.bump(t, env, false)
	j.Repo = "sindri/demo"
	j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: leaseVMConfig}
	waiting := make(chan string, 1)
	go watchWaiting(b, j.ID, waiting)
	b.publish(t, j)
	return j, waiting
}

// awaitWaiting returns the waiting step from ch, failing the test when none names want
// within 30 s (a liveness bound).
func awaitWaiting(t *testing.T, ch <-chan string, want string) string {
	t.Helper()
	select {
	case step := <-ch:
		if !strings.Contains(step, want) {
			t.Errorf("waiting step %q, want it to name %s", step, want)
		}
		return step
	case <-time.After(30 * time.Second):
		t.Fatalf("no job reported waiting for %s", want)
	}
	return ""
}

// finishBuild registers the image of leaseVMConfig in f and lets fakePacker's build in dir
// print it; it returns the image id.
func finishBuild(t *testing.T, f *ec2test.Fake, dir string) string {
	t.Helper()
	c, diags := config.Load("sindri.yaml", []byte(leaseVMConfig))
	if c == nil {
		t.Fatal(diags)
	}
	ami := f.AddImage("sindri-dev-20261206000000", vm.ImageTags(c.Providers.Packer), time.Now())
	if err := os.WriteFile(filepath.Join(dir, "ami"), []byte(ami), 0o644); err != nil {
		t.Fatal(err)
	}
	return ami
}

// wantOneBuild fails unless fakePacker in dir built exactly once.
func wantOneBuild(t *testing.T, dir string) {
	t.Helper()
	builds, _ := os.ReadFile(filepath.Join(dir, "builds"))
	if n := strings.Count(string(builds), "build\n"); n != 1 {
		t.Errorf("packer built %d times, want once", n)
	}
}
