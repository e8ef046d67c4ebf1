package executor_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

const sealedCanary = "canary-sealed-5d1e88c0-do-not-print"

// capture is the Fake provider; it records the secrets each Deploy and Plan receives.
type capture struct {
	*providertest.Fake
}

// snapshot returns how many Deploy and Plan calls reached the provider and their secrets.
func (c *capture) snapshot() (int, [][]providers.SecretValue) {
	got := c.SecretsSeen()
	return len(got), got
}

func captureConfig(t *testing.T, key nkeys.KeyPair) (*capture, executor.Config) {
	t.Helper()
	c := &capture{Fake: providertest.NewFake()}
	cfg := testConfig(providertest.NewFake())
	var reg providers.Registry
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	cfg.Registry = &reg
	cfg.SecretsKey = key
	return c, cfg
}

func curveKey(t *testing.T) (nkeys.KeyPair, string) {
	t.Helper()
	kp, err := nkeys.CreateCurveKeys()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return kp, pub
}

func sealedFixture() []secrets.Resolved {
	return []secrets.Resolved{
		{Name: "CANARY_TOKEN", Value: secrets.New(sealedCanary), Source: config.SecretSourceEnv},
		{Name: "TLS_KEY", Value: secrets.New("-----BEGIN KEY-----\n" + sealedCanary + "\n"), Source: config.SecretSourceFile,
			MountPath: "/secrets/tls.key", Permissions: "0600"},
	}
}

func seal(t *testing.T, jobID, recipient string) string {
	t.Helper()
	s, err := secrets.Seal(jobID, sealedFixture(), recipient)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// noCanary fails when any event of the job mentions the canary.
func noCanary(t *testing.T, evs []*events.Envelope) {
	t.Helper()
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), sealedCanary) {
			t.Errorf("event %s carries the canary secret", ev.Type)
		}
	}
}

func TestSealedSecretsReachProvider(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	key, pub := curveKey(t)
	c, cfg := captureConfig(t, key)
	runExecutor(t, b, cfg)

	j := newJob(t, jobs.KindDeploy, "sealed-ok", b.bump(t, "sealed-ok", false))
	j.SealedSecrets = seal(t, j.ID, pub)
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSucceeded)
	noCanary(t, evs)

	calls, got := c.snapshot()
	if calls != 1 {
		t.Fatalf("provider called %d times, want 1", calls)
	}
	want := sealedFixture()
	if len(got[0]) != len(want) {
		t.Fatalf("provider got %d secrets, want %d", len(got[0]), len(want))
	}
	for i, w := range want {
		g := got[0][i]
		if g.Name != w.Name || g.Value.Reveal() != w.Value.Reveal() || g.MountPath != w.MountPath || g.Permissions != w.Permissions {
			t.Errorf("secret %d = %s mount=%q perm=%q (value right: %v), want %s mount=%q perm=%q",
				i, g.Name, g.MountPath, g.Permissions, g.Value.Reveal() == w.Value.Reveal(), w.Name, w.MountPath, w.Permissions)
		}
	}
}

// TestSealedSecretsRedactedFromProviderErrors: a provider error quoting a secret reaches the
// failed event redacted.
func TestSealedSecretsRedactedFromProviderErrors(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	key, pub := curveKey(t)
	c, cfg := captureConfig(t, key)
	runExecutor(t, b, cfg)

	j := newJob(t, jobs.KindDeploy, "sealed-err", b.bump(t, "sealed-err", false))
	j.SealedSecrets = seal(t, j.ID, pub)
	c.FailNext(providertest.OpDeploy, "sealed-err", 1, errors.New("login refused for token "+sealedCanary))
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeFailed)
	noCanary(t, evs)
	if msg := last(evs).Data.(*events.Failed).Message; !strings.Contains(msg, "login refused for token [redacted]") {
		t.Errorf("failed message = %q, want the provider's error with the secret redacted", msg)
	}
}

func TestSealedSecretsRefused(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	key, pub := curveKey(t)
	_, otherPub := curveKey(t)
	for _, tc := range []struct {
		name   string
		key    nkeys.KeyPair
		sealed func(j *jobs.Job) string
		want   []string
	}{
		{"executor without key", nil, func(j *jobs.Job) string { return seal(t, j.ID, pub) },
			[]string{"this executor has no secrets key", "set secrets_key_file", "executor-key"}},
		{"sealed to another key", key, func(j *jobs.Job) string { return seal(t, j.ID, otherPub) },
			[]string{"sealed to public key " + otherPub, "this executor's key is " + pub, "set the action's executor-key input to " + pub}},
		{"replayed from another job", key, func(*jobs.Job) string { return seal(t, "0193b6f0-0000-7000-8000-0000000000ff", pub) },
			[]string{"sealed for job 0193b6f0-0000-7000-8000-0000000000ff, not job"}},
		{"garbage", key, func(*jobs.Job) string { return "bm90IHNlYWxlZA==" }, []string{"malformed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, cfg := captureConfig(t, tc.key)
			// One executor per case on the shared bus: each serves its own provider name.
			name := "fake-" + strings.ReplaceAll(tc.name, " ", "-")
			c.Fake = providertest.NewFake(providertest.WithName(name))
			var reg providers.Registry
			if err := reg.Register(c); err != nil {
				t.Fatal(err)
			}
			cfg.Registry = &reg
			runExecutor(t, b, cfg)

			env := "sealed-" + strings.ReplaceAll(tc.name, " ", "-")
			j := newJob(t, jobs.KindDeploy, env, b.bump(t, env, false))
			j.Provider = name
			j.SealedSecrets = tc.sealed(j)
			b.publish(t, j)
			evs := b.follow(t, j.ID, waitEvents)
			wantTerminal(t, evs, events.TypeFailed)
			noCanary(t, evs)
			f := last(evs).Data.(*events.Failed)
			if f.Code != events.FailInvalidJob || f.Retryable {
				t.Errorf("failed code %s retryable %v, want permanent %s", f.Code, f.Retryable, events.FailInvalidJob)
			}
			for _, w := range tc.want {
				if !strings.Contains(f.Message, w) {
					t.Errorf("failed message %q lacks %q", f.Message, w)
				}
			}
			for _, ev := range evs {
				if ev.Type == events.TypeStarted {
					t.Error("a started event was published for a job whose secrets cannot be opened")
				}
			}
			if calls, _ := c.snapshot(); calls != 0 || c.Count(env) != 0 {
				t.Errorf("the provider was called (%d, %d ops)", calls, c.Count(env))
			}
		})
	}
}

func TestNewRefusesNonCurveSecretsKey(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	_, cfg := captureConfig(t, user)
	if _, err := executor.New(context.Background(), b.js, cfg); !errors.Is(err, executor.ErrBadSecretsKey) {
		t.Fatalf("New with a user nkey = %v, want ErrBadSecretsKey", err)
	}
}
