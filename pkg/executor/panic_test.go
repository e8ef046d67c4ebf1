package executor_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// broken is the Fake with a Deploy that misbehaves for some environments: "panics" panics
// with its secret values in the panic, "nothing" returns neither a deployment nor an error.
type broken struct{ *providertest.Fake }

func (p broken) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	switch s.Env {
	case "panics":
		var vals []string
		for _, sv := range s.Secrets {
			vals = append(vals, sv.Value.Reveal())
		}
		panic("provider bug holding " + strings.Join(vals, ","))
	case "nothing":
		return nil, nil
	}
	return p.Fake.Deploy(ctx, s, r)
}

// TestBrokenProviderFailsJobExecutorKeepsServing: a provider panic fails the job (code
// internal, no secret in the message) and a Deploy that returns (nil, nil) fails it as a
// provider error; the executor goes on to run the next job.
func TestBrokenProviderFailsJobExecutorKeepsServing(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	key, pub := curveKey(t)
	cfg := testConfig(providertest.NewFake())
	var reg providers.Registry
	if err := reg.Register(broken{providertest.NewFake()}); err != nil {
		t.Fatal(err)
	}
	cfg.Registry, cfg.SecretsKey = &reg, key
	var logs syncBuf
	log := zerolog.New(&logs)
	cfg.Logger = &log
	runExecutor(t, b, cfg)

	boom := newJob(t, jobs.KindDeploy, "panics", b.bump(t, "panics", false))
	boom.SealedSecrets = seal(t, boom.ID, pub)
	b.publish(t, boom)
	evs := b.follow(t, boom.ID, waitEvents)
	wantTerminal(t, evs, events.TypeFailed)
	if f := last(evs).Data.(*events.Failed); f.Code != events.FailInternal || !strings.Contains(f.Message, "panicked") {
		t.Errorf("failed = %+v, want code internal saying the provider panicked", f)
	}
	noCanary(t, evs)

	empty := newJob(t, jobs.KindDeploy, "nothing", b.bump(t, "nothing", false))
	b.publish(t, empty)
	evs = b.follow(t, empty.ID, waitEvents)
	wantTerminal(t, evs, events.TypeFailed)
	if f := last(evs).Data.(*events.Failed); f.Code != events.FailProvider || !strings.Contains(f.Message, "no result") {
		t.Errorf("failed = %+v, want a provider error saying no result came back", f)
	}

	ok := newJob(t, jobs.KindDeploy, "fine", b.bump(t, "fine", false))
	b.publish(t, ok)
	wantTerminal(t, b.follow(t, ok.ID, waitEvents), events.TypeSucceeded)
	waitFor(t, func() bool { return streamEmpty(t, b) })
	if !strings.Contains(logs.String(), "provider panicked") {
		t.Error("the executor log does not record the panic")
	}
	if strings.Contains(logs.String(), sealedCanary) {
		t.Error("the executor log carries the secret the panic value held")
	}
}

// syncBuf is a bytes.Buffer safe for concurrent writers.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
