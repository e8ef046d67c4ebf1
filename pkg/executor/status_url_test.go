package executor_test

import (
	"context"
	"testing"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// addressed is a Fake whose running environments report addresses in Status, as the Docker
// provider's do for published ports.
type addressed struct{ *providertest.Fake }

func (a addressed) Status(ctx context.Context, s *providers.Spec) (*providers.Status, error) {
	st, err := a.Fake.Status(ctx, s)
	if err == nil && st.State == providers.StateRunning {
		st.Addresses = []providers.Address{
			{Type: providers.AddressInternal, Value: "10.0.0.7"},
			{Type: providers.AddressHTTP, Value: "http://127.0.0.1:18080", Port: 18080},
		}
	}
	return st, err
}

// A start job's succeeded event carries the running environment's URL (what the summary,
// outputs and the Deployment's environment_url show after `/sindri start`).
func TestStartReportsURLFromStatus(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	cfg := testConfig(fake)
	var reg providers.Registry
	if err := reg.Register(addressed{fake}); err != nil {
		t.Fatal(err)
	}
	cfg.Registry = &reg
	runExecutor(t, b, cfg)
	for _, kind := range []jobs.Kind{jobs.KindDeploy, jobs.KindStop, jobs.KindStart} {
		j := newJob(t, kind, "urlenv", b.bump(t, "urlenv", false))
		b.publish(t, j)
		evs := b.follow(t, j.ID, waitEvents)
		wantTerminal(t, evs, events.TypeSucceeded)
		ok := last(evs).Data.(*events.Succeeded)
		switch kind {
		case jobs.KindStart:
			if ok.URL != "http://127.0.0.1:18080" {
				t.Errorf("start: url %q, want the running environment's http address", ok.URL)
			}
		case jobs.KindStop:
			if ok.URL != "" {
				t.Errorf("stop: url %q, want none (the environment is stopped)", ok.URL)
			}
		}
	}
}
