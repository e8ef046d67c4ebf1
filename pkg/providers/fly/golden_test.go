package fly_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/golden"
)

// TestGoldenFixtures pins, for every shared fixture config that targets fly, the exact requests
// a first Deploy sends to an empty fake (secrets redacted), then the Plan of the deployed
// environment and its fly.toml. Update with go test -update.
func TestGoldenFixtures(t *testing.T) {
	t.Parallel()
	for _, fx := range providertest.Fixtures(t, config.ProviderFly) {
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel()
			golden.Compare(t, filepath.Join("testdata", "golden", fx.Name+".txt"), goldenRun(t, fx.Config))
		})
	}
}

func goldenRun(t *testing.T, c *config.Config) []byte {
	opts := testFakeOptions()
	opts.StartDelay, opts.StopDelay, opts.DestroyDelay = 0, 0, 0
	rec := &rest.Recorder{}
	p, _ := newFake(t, opts, rec)
	img, err := c.ImageRef()
	if err != nil {
		img = testImage
	}
	s := &providers.Spec{Env: "fixture-pr-1", Config: c, Image: img, Options: providers.Options{Timeout: 20 * time.Second},
		Labels: map[string]string{providers.LabelRepo: testRepo, providers.LabelPR: "1", providers.LabelSHA: "0123abc",
			providers.LabelManagedBy: providers.ManagedByValue, providers.LabelEnv: "fixture-pr-1"}}
	deliver := map[string]bool{}
	for _, sec := range c.Secrets {
		sv := providers.SecretValue{Name: sec.Name, Value: plainSecret("fixture-secret-" + sec.Name)}
		if sec.Source == config.SecretSourceFile {
			sv.MountPath, sv.Permissions = sec.MountPath, sec.Permissions
		}
		s.Secrets = append(s.Secrets, sv)
		deliver[sec.Name] = sec.Deliver
	}
	providers.SplitCredentials(s, p.Capabilities().Credentials, deliver)
	ctx := context.Background()
	var b strings.Builder
	first, err := p.Plan(ctx, s)
	if err != nil {
		t.Fatalf("Plan of a new environment: %v", err)
	}
	b.WriteString("# Plan.Calls of a new environment\n" + strings.Join(first.Calls, "\n") + "\n")
	rec.Reset()
	d, err := p.Deploy(ctx, s, providers.NopReporter{})
	b.WriteString("# requests of a first Deploy\n")
	if err != nil {
		b.WriteString("# error: " + err.Error() + "\n")
	}
	for _, l := range rec.Lines() {
		b.WriteString(l + "\n")
	}
	if err == nil {
		b.WriteString("# deployment\nhandle " + d.Handle + "\nssh " + d.Connection.SSHCommand + "\n")
	}
	pl, err := p.Plan(ctx, s)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	b.WriteString("# plan of the deployed environment\n")
	for _, a := range pl.Actions {
		b.WriteString(string(a.Action) + " " + a.Resource + ": " + a.Description + "\n")
	}
	for _, w := range pl.Warnings {
		b.WriteString("warning: " + w + "\n")
	}
	if pl.EstimatedCost != nil {
		b.WriteString("cost: " + pl.EstimatedCost.Notes + "\n")
	}
	b.WriteString("# fly.toml\n" + pl.Artifacts["fly.toml"])
	out := []byte(b.String())
	for _, sv := range s.Secrets {
		if strings.Contains(b.String(), sv.Value.Reveal()) {
			t.Errorf("secret %s's value is in the golden output", sv.Name)
		}
	}
	return golden.Normalize(out, golden.IDs, golden.Timestamps)
}
