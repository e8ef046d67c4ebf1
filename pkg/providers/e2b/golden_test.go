package e2b_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/e2b"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/golden"
)

// TestGoldenFixtures pins, for every shared fixture config that targets e2b, the Plan of a new
// environment, the exact requests a first Deploy sends to an empty fake (secrets redacted),
// and the Plan of the deployed environment with its artifacts. Update with go test -update.
func TestGoldenFixtures(t *testing.T) {
	t.Parallel()
	for _, fx := range providertest.Fixtures(t, config.ProviderE2B) {
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel()
			golden.Compare(t, filepath.Join("testdata", "golden", fx.Name+".txt"), goldenRun(t, fx.Config))
		})
	}
}

func goldenRun(t *testing.T, c *config.Config) []byte {
	rec := &rest.Recorder{}
	p, _ := newTestProvider(t, rec)
	img, _ := c.ImageRef() // "" when the config names no image: the provider runs a template
	s := &providers.Spec{Env: "fixture-pr-1", Config: c, Image: img, Options: providers.Options{Timeout: 20 * time.Second},
		Labels: map[string]string{providers.LabelRepo: testRepo, providers.LabelPR: "1", providers.LabelSHA: "0123abc",
			providers.LabelManagedBy: providers.ManagedByValue, providers.LabelEnv: "fixture-pr-1"}}
	deliver := map[string]bool{}
	for _, sec := range c.Secrets {
		s.Secrets = append(s.Secrets, providers.SecretValue{Name: sec.Name, Value: plainSecret("fixture-secret-" + sec.Name)})
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
	for _, w := range first.Warnings {
		b.WriteString("warning: " + w + "\n")
	}
	rec.Reset()
	d, err := p.Deploy(ctx, s, providers.NopReporter{})
	b.WriteString("# requests of a first Deploy (status reads left out)\n")
	if err != nil {
		b.WriteString("# error: " + err.Error() + "\n")
	}
	for _, l := range rec.Lines() {
		if !strings.HasPrefix(l, "GET /sandboxes/") && !strings.Contains(l, "/status?") {
			b.WriteString(l + "\n")
		}
	}
	if err == nil {
		b.WriteString("# deployment\nhandle " + d.Handle + "\nexec " + d.Connection.ExecCommand + "\nurl " + d.Connection.HTTPSURL + "\n")
	}
	pl, err := p.Plan(ctx, s)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	b.WriteString("# plan of the deployed environment\n")
	for _, a := range pl.Actions {
		b.WriteString(string(a.Action) + " " + a.Resource + ": " + a.Description + "\n")
	}
	if c := pl.EstimatedCost; c != nil {
		b.WriteString("cost: " + strings.TrimRight(strings.TrimRight(fmtFloat(*c.Hourly), "0"), ".") + "/h; " + c.Notes + "\n")
	}
	for _, name := range []string{e2b.ArtifactTemplate, e2b.ArtifactSandbox} {
		if art, ok := first.Artifacts[name]; ok {
			b.WriteString("# " + name + " (new environment)\n" + art)
		}
	}
	out := b.String()
	for _, sv := range append(s.Secrets, s.Credentials...) {
		if strings.Contains(out, sv.Value.Reveal()) {
			t.Errorf("secret %s's value is in the golden output", sv.Name)
		}
	}
	return golden.Normalize([]byte(out), golden.IDs, golden.Timestamps, golden.LocalPorts)
}
