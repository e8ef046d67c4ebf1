package devpod_test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/devpod"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/golden"
)

// secretDir matches the private folder of a --workspace-env-file, which differs per run.
var secretDir = regexp.MustCompile(`/[^"\s]*sindri-secret-[0-9]+/`)

// fixtureSpec is a deployable spec of a fixture config: the config's image or a fixed one,
// fixed labels, each declared secret with a value made from its name, and the credentials
// split out as the executor does (DIGITALOCEAN_TOKEN added for that backend).
func fixtureSpec(p providers.Provider, c *config.Config) (*providers.Spec, []string) {
	s := &providers.Spec{Env: "sindri-pr-42", Config: c, Image: c.Deployment.Image,
		Labels: map[string]string{providers.LabelRepo: "org/app", providers.LabelPR: "42", providers.LabelSHA: "0123abc",
			providers.LabelManagedBy: providers.ManagedByValue}}
	if s.Image == "" {
		s.Image = "ghcr.io/example/sindri:pr-42"
	}
	var values []string
	deliver := map[string]bool{}
	for _, sec := range c.Secrets {
		v := "value-of-" + strings.ToLower(sec.Name)
		values = append(values, v)
		s.Secrets = append(s.Secrets, providers.SecretValue{Name: sec.Name, Value: providertest.Canary(v), MountPath: sec.MountPath})
		deliver[sec.Name] = sec.Deliver
	}
	if c.Providers.DevPod != nil && c.Providers.DevPod.Type == "digitalocean" {
		s.Credentials = append(s.Credentials, providers.SecretValue{Name: "DIGITALOCEAN_TOKEN", Value: providertest.Canary("dop_v1_faketoken")})
		values = append(values, "dop_v1_faketoken")
	}
	providers.SplitCredentials(s, p.Capabilities().Credentials, deliver)
	return s, values
}

// devpodProviderOf is the devpod provider a fixture's backend becomes.
func devpodProviderOf(c *config.Config) string {
	t := "docker"
	if c.Providers.DevPod != nil && c.Providers.DevPod.Type != "" {
		t = c.Providers.DevPod.Type
	}
	if t == "gcp" {
		return "gcloud"
	}
	return t
}

// executorEnv is the executor's environment in the golden tests: the cloud CLIs' project and
// subscription variables, which fill required options the fixtures leave out.
var executorEnv = map[string]string{"CLOUDSDK_CORE_PROJECT": "example-project", "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000003",
	"AZURE_RESOURCE_GROUP": "sindri-previews"}

// TestGoldenFixtures pins, for every shared fixture config that targets devpod, the generated
// devcontainer.json and the exact devpod calls of a Plan and of a first Deploy (argv and
// environment, from a fake devpod), or the error the config gets.
func TestGoldenFixtures(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	for _, fx := range providertest.Fixtures(t, config.ProviderDevPod) {
		// x.sindri.yaml and x.yaml share a fixture name; the second gets a suffix.
		if seen[fx.Name]++; seen[fx.Name] > 1 {
			fx.Name += fmt.Sprintf("-%d", seen[fx.Name])
		}
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel()
			prov := devpodProviderOf(fx.Config)
			probe := devpod.New(devpod.Config{Home: t.TempDir()})
			_, values := fixtureSpec(probe, fx.Config)
			fake := fakeDevpod(t, prov, values, 2)
			p := devpod.New(devpod.Config{Binary: fake.Path, Home: filepath.Join(fake.Dir, "home"), PATH: "/usr/bin:/bin",
				Getenv: func(k string) string { return executorEnv[k] }})
			s, _ := fixtureSpec(p, fx.Config)
			var b strings.Builder
			pl, err := p.Plan(t.Context(), s)
			if err != nil {
				fmt.Fprintf(&b, "plan error: %v\n", err)
			} else {
				golden.Compare(t, filepath.Join("testdata", "golden", fx.Name+".devcontainer.json"), []byte(pl.Artifacts[devpod.ArtifactName]))
				b.WriteString("plan calls:\n")
				for _, c := range pl.Calls {
					fmt.Fprintf(&b, "  %s\n", c)
				}
				for _, w := range pl.Warnings {
					fmt.Fprintf(&b, "plan warning: %s\n", w)
				}
				rec := &providertest.Recorder{}
				d, err := p.Deploy(t.Context(), s, rec)
				if err != nil {
					fmt.Fprintf(&b, "deploy error: %v\n", err)
				} else {
					fmt.Fprintf(&b, "deploy: state %s, changed %v, handle %s\nssh: %s\n", d.State, d.Changed, d.Handle, d.Connection.SSHCommand)
				}
				b.WriteString("deploy log:\n")
				for _, l := range rec.Lines() {
					fmt.Fprintf(&b, "  %s\n", l)
				}
			}
			b.WriteString("devpod calls:\n")
			b.Write(fake.Golden(t))
			got := strings.ReplaceAll(b.String(), fake.Dir, "$FAKE")
			got = secretDir.ReplaceAllString(got, "$$SECRETDIR/")
			for _, v := range values {
				if strings.Contains(got, v) {
					t.Errorf("secret value of the fixture appears in the calls or results")
				}
			}
			golden.Compare(t, filepath.Join("testdata", "golden", fx.Name+".calls"), []byte(got))
		})
	}
}
