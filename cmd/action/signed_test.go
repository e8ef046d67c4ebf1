package main

import (
	"strings"
	"testing"

	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestRemoteSignedJobs runs the action against an executor that requires signed jobs: with the
// signing-key input the deploy runs; without it the job is refused as unauthorized, the run
// fails with that reason, and the provider is not called. The seed is masked and appears
// nowhere else.
func TestRemoteSignedJobs(t *testing.T) {
	t.Parallel()
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seedB, _ := user.Seed()
	seed := string(seedB)
	pub, _ := user.PublicKey()
	rb := startRemote(t)
	rb.trusted = []string{pub}
	rb.startExecutor()
	r := newRepo(t, "")

	res := r.invoke("pull_request", prPayload(t, "opened", shaOpened), map[string]string{
		"nats-url": rb.srv.ClientURL(), "signing-key": seed, "provider": providertest.FakeName,
	})
	if res.code != 0 || res.outputs["status"] != "ready" {
		t.Fatalf("signed: exit %d status %q, want 0 ready\n%s", res.code, res.outputs["status"], res.stdout)
	}
	mask := "::add-mask::" + seed + "\n"
	if !strings.Contains(res.stdout, mask) {
		t.Error("the signing seed was not masked")
	}
	rest := strings.ReplaceAll(res.stdout, mask, "") + res.stderr + res.summary
	for _, v := range res.outputs {
		rest += v
	}
	if strings.Contains(rest, seed) {
		t.Error("the signing seed appears in the action's output")
	}
	deploys := rb.spy.CountOp(r.env(), providertest.OpDeploy)
	if deploys != 1 {
		t.Fatalf("signed deploy ran %d times, want 1", deploys)
	}

	res = r.invoke("pull_request", prPayload(t, "synchronize", shaPushed), map[string]string{
		"nats-url": rb.srv.ClientURL(), "provider": providertest.FakeName,
	})
	if res.code == 0 || res.outputs["status"] != "failed" {
		t.Fatalf("unsigned: exit %d status %q, want a failure", res.code, res.outputs["status"])
	}
	if !strings.Contains(res.stdout+res.summary, "not signed") {
		t.Errorf("the run does not say the job was refused for lacking a signature:\n%s", res.stdout)
	}
	if n := rb.spy.CountOp(r.env(), providertest.OpDeploy); n != deploys {
		t.Errorf("the unsigned job reached the provider")
	}
}
