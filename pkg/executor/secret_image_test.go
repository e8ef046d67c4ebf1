package executor_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// quotingProvider quotes the image reference it deploys in its handle and its messages, as a
// provider whose platform id embeds the image might.
type quotingProvider struct{ *providertest.Fake }

func (p quotingProvider) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	dep, err := p.Fake.Deploy(ctx, s, r)
	if err != nil {
		return nil, err
	}
	dep.Handle = "fake/v1:" + s.Image
	dep.Messages = append(dep.Messages, "deployed "+s.Image)
	return dep, nil
}

// TestSecretInImageReferenceRedacted: a secret value inside the image reference a job names
// reaches no event and no env record field, whether the deploy succeeds (the provider quotes
// the image in its handle) or the spec is refused before the provider runs (the error quotes
// the job's image).
func TestSecretInImageReferenceRedacted(t *testing.T) {
	t.Parallel()
	const canary = "imgsecret7f3a9c"
	b := startBus(t)
	fake := providertest.NewFake()
	var reg providers.Registry
	if err := reg.Register(quotingProvider{fake}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(fake)
	cfg.Registry = &reg
	cfg.LocalSecrets = []providers.SecretValue{{Name: "REGISTRY_TOKEN", Value: secrets.New(canary)}}
	runExecutor(t, b, cfg)
	ctx := context.Background()
	kv, err := b.js.KeyValue(ctx, events.EnvsBucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, config, image string
		want                events.Type
	}{
		{"succeeds", "version: \"3.0\"\nname: demo\ndeployment:\n  provider: docker\n  image: registry.example/" + canary + "/demo:1\n", "", events.TypeSucceeded},
		{"spec refused", testConfigText, "registry.example/" + canary + "/demo:1", events.TypeFailed},
	} {
		env := "img-" + strings.ReplaceAll(tc.name, " ", "-")
		j := newJob(t, jobs.KindDeploy, env, b.bump(t, env, false))
		j.Config.Text, j.Image = tc.config, tc.image
		b.publish(t, j)
		evs := b.follow(t, j.ID, waitEvents)
		wantTerminal(t, evs, tc.want)
		for _, ev := range evs {
			raw, _ := json.Marshal(ev)
			if strings.Contains(string(raw), canary) {
				t.Errorf("%s: %s event holds the secret: %s", tc.name, ev.Type, raw)
			}
		}
		entry, err := kv.Get(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(entry.Value()), canary) {
			t.Errorf("%s: the env record holds the secret: %s", tc.name, entry.Value())
		}
	}
}
