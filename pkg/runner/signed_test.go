package runner

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// Every job the action queues on a signing bus is signed: the scheduled reaper's jobs too, so
// executors that run only signed jobs reap what expired.
func TestRunReapSignsJobs(t *testing.T) {
	t.Parallel()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	rm := newRemoteTrusting(t, []string{pub})
	ctx := context.Background()
	s := &providers.Spec{Env: "old-env", Labels: map[string]string{providers.LabelEnv: "old-env"}}
	if _, err := rm.spy.Deploy(ctx, s, providers.NopReporter{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rm.envs.Update(ctx, "old-env", func(r *events.EnvRecord, _ bool) error {
		r.Provider, r.Repo, r.State, r.ExpiresAt = providertest.FakeName, "acme/app", providers.StateRunning, time.Now().Add(-time.Hour)
		r.DesiredGeneration++
		r.AppliedGeneration = r.DesiredGeneration
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	reap := func(signer nkeys.KeyPair) (int, string) {
		var out bytes.Buffer
		req := Request{
			Intent:    action.Intent{Kind: action.KindReap, Trigger: "schedule", Repo: "acme/app", Owner: "acme", Name: "app"},
			Inputs:    action.Inputs{Config: "sindri.yaml", Wait: true, Timeout: time.Minute, NATSURL: "nats://remote:4222"},
			Workspace: rm.dir,
			Delivery:  "run/reap/" + time.Now().Format(time.RFC3339Nano),
		}
		deps := Deps{Out: &ConsoleOutput{W: &out}, OpenBus: func(context.Context, []secrets.Resolved) (*Bus, error) {
			return &Bus{JS: rm.js, Envs: rm.envs, Signer: signer}, nil
		}}
		return Run(ctx, req, deps), out.String()
	}
	// Unsigned, the executor refuses the reap job and the environment stays.
	if code, out := reap(nil); code == ExitOK || !strings.Contains(out, "not signed") {
		t.Errorf("unsigned reap: exit %d, want a failure saying the job is not signed\n%s", code, out)
	}
	if _, ok, _ := rm.spy.Env("old-env"); !ok {
		t.Fatal("an unsigned reap job destroyed the environment")
	}
	if code, out := reap(kp); code != ExitOK {
		t.Fatalf("signed reap: exit %d\n%s", code, out)
	}
	if _, ok, _ := rm.spy.Env("old-env"); ok {
		t.Error("the signed reap job did not destroy the expired environment")
	}
}
