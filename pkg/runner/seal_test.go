package runner

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/events/eventstest"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// executorKey returns the public half of a fresh executor secrets key.
func executorKey(t *testing.T) string {
	t.Helper()
	kp, err := nkeys.CreateCurveKeys()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	return pub
}

// remote is a shared bus as nats-url gives it: the action's side is not embedded, and the
// executor (in process here) holds the secrets key.
type remote struct {
	js   jetstream.JetStream
	envs *events.EnvStore
	spy  *providertest.Fake // records the secrets each deploy receives (SecretsSeen)
	pub  string
	dir  string
}

func newRemote(t *testing.T) *remote { t.Helper(); return newRemoteTrusting(t, nil) }

// newRemoteTrusting is newRemote whose executor runs only jobs signed by one of trusted.
func newRemoteTrusting(t *testing.T, trusted []string) *remote {
	t.Helper()
	ctx := context.Background()
	kp, err := nkeys.CreateCurveKeys()
	if err != nil {
		t.Fatal(err)
	}
	rm := &remote{spy: providertest.NewFake(), dir: t.TempDir()}
	rm.pub, _ = kp.PublicKey()
	_, _, rm.js = eventstest.Start(t, events.EmbeddedOptions{}, true)
	if rm.envs, err = events.OpenEnvStore(ctx, rm.js); err != nil {
		t.Fatal(err)
	}
	reg := &providers.Registry{}
	if err := reg.Register(rm.spy); err != nil {
		t.Fatal(err)
	}
	ex, err := executor.New(ctx, rm.js, executor.Config{Worker: "remote", Registry: reg, SecretsKey: kp, DrainTimeout: 2 * time.Second, TrustedSigners: trusted})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ex.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	return rm
}

// run carries out a deploy of config on the remote bus with inputs changed by mutate.
func (rm *remote) run(t *testing.T, config string, mutate func(*Request)) (int, string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(rm.dir, "sindri.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	req := Request{
		Intent:    prIntent(action.KindDeploy, "pull_request.opened"),
		Inputs:    action.Inputs{Config: "sindri.yaml", Provider: providertest.FakeName, Wait: true, Timeout: time.Minute, NATSURL: "nats://remote:4222"},
		Workspace: rm.dir,
		LookupEnv: func(k string) (string, bool) {
			if k == "CANARY_TOKEN" {
				return canary, true
			}
			return "", false
		},
		Delivery: "run/seal/" + time.Now().Format(time.RFC3339Nano),
	}
	if mutate != nil {
		mutate(&req)
	}
	deps := Deps{
		Out: &ConsoleOutput{W: &out},
		OpenBus: func(context.Context, []secrets.Resolved) (*Bus, error) {
			return &Bus{JS: rm.js, Envs: rm.envs}, nil
		},
	}
	return Run(context.Background(), req, deps), out.String()
}

func (rm *remote) jobsQueued(t *testing.T) uint64 {
	t.Helper()
	st, err := rm.js.Stream(context.Background(), events.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}

func TestRunRemoteSealsSecretsToExecutorKey(t *testing.T) {
	t.Parallel()
	rm := newRemote(t)
	code, out := rm.run(t, testConfig, func(r *Request) { r.Inputs.ExecutorKey = rm.pub })
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	got := rm.spy.SecretsSeen()
	if len(got) != 1 || len(got[0]) != 1 || got[0][0].Name != "CANARY_TOKEN" || got[0][0].Value.Reveal() != canary {
		t.Fatalf("the executor's provider did not get CANARY_TOKEN (%d deploys)", len(got))
	}
	if strings.Contains(out, canary) {
		t.Error("the canary secret appears in the output")
	}
}

func TestRunRemoteRefusesToSendSecretsInClear(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		key  string
		want string
	}{
		{"no executor-key", "", "executor-key input is empty"},
		{"not an xkey", "XNOTAKEY", "not a public xkey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rm := newRemote(t)
			code, out := rm.run(t, testConfig, func(r *Request) { r.Inputs.ExecutorKey = tc.key })
			if code != ExitFailed {
				t.Fatalf("exit %d, want %d\n%s", code, ExitFailed, out)
			}
			errs := errorLines(out)
			if len(errs) != 1 || !strings.Contains(errs[0], tc.want) || !strings.Contains(errs[0], "nothing was published") {
				t.Errorf("errors = %q, want one saying %q", errs, tc.want)
			}
			if n := rm.jobsQueued(t); n != 0 {
				t.Errorf("%d job(s) published", n)
			}
			if _, _, err := rm.envs.Get(context.Background(), "preview-pr-7"); err == nil {
				t.Error("the environment record was written (generation bumped) although nothing was published")
			}
			if len(rm.spy.SecretsSeen()) != 0 {
				t.Error("the provider was called")
			}
		})
	}
}

// TestRunRemoteWithoutSecretsNeedsNoKey: a config that resolves no secret runs without
// executor-key, and its job carries no sealed_secrets.
func TestRunRemoteWithoutSecretsNeedsNoKey(t *testing.T) {
	t.Parallel()
	rm := newRemote(t)
	noSecrets := testConfig[:strings.Index(testConfig, "secrets:")]
	code, out := rm.run(t, noSecrets, nil)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if got := rm.spy.SecretsSeen(); len(got) != 1 || len(got[0]) != 0 {
		t.Errorf("deploys %d with secrets %v, want one without secrets", len(got), got)
	}
}
