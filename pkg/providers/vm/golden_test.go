package vm_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/golden"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2/ec2test"
)

// clientTokenRE matches the fresh ClientToken of a launch.
var clientTokenRE = regexp.MustCompile(`ClientToken=[a-z0-9-]+-[0-9a-f]{16}`)

// TestGoldenFixtures pins, for every shared fixture config that targets packer (the guide's
// example among them), the Plan against a fake holding the image built from it (the EC2
// artifacts in full, the template by name) and, on aws, the exact EC2 requests a first
// Deploy sends. Update with go test -update.
func TestGoldenFixtures(t *testing.T) {
	t.Parallel()
	for _, fx := range providertest.Fixtures(t, config.ProviderPacker) {
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel()
			got := goldenRun(t, fx.Config)
			path := filepath.Join("testdata", "golden-fixtures", fx.Name+".txt")
			if golden.Updating() {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs (run go test -update and review the diff):\n%s", path, got)
			}
		})
	}
}

func goldenRun(t *testing.T, c *config.Config) string {
	f := ec2test.New(t, ec2test.Options{Region: "us-west-2", AccessKeyID: testCreds.id, SecretAccessKey: testCreds.secret,
		SessionToken: testCreds.token, Transition: time.Millisecond})
	if c.Providers.Packer.Cloud == config.CloudAWS {
		f.AddImage(c.Providers.Packer.ImageName+"-20261201000000", vm.ImageTags(c.Providers.Packer), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	}
	rec := &rest.Recorder{}
	// A fixed delivery secret: the delivery key in the user data is derived from it, and the
	// same at every run.
	env := map[string]string{"AWS_ACCESS_KEY_ID": testCreds.id, "AWS_SECRET_ACCESS_KEY": testCreds.secret, "AWS_SESSION_TOKEN": testCreds.token,
		vm.DeliveryKeyVar: "golden-fixture-delivery-secret-0123456789"}
	p := vm.New(vm.Config{Binary: "/nonexistent/packer", Getenv: func(k string) string { return env[k] }, Regions: []string{"us-west-2"},
		EC2Endpoint: f.URL, HTTPClient: f.Client(), PollInterval: time.Millisecond, Recorder: rec})
	s := &providers.Spec{Env: "fixture-pr-1", Config: c, Options: providers.Options{Timeout: 20 * time.Second},
		Labels: map[string]string{providers.LabelRepo: "acme/app", providers.LabelPR: "1", providers.LabelSHA: "0123abc",
			providers.LabelManagedBy: providers.ManagedByValue, providers.LabelEnv: "fixture-pr-1"}}
	plan, err := p.Plan(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	for name := range plan.Artifacts {
		if !strings.HasPrefix(name, "ec2/") {
			plan.Artifacts[name] = "(pinned by testdata/golden)"
		}
	}
	b, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	out.WriteString("# Plan\n" + string(b) + "\n")
	if c.Providers.Packer.Cloud != config.CloudAWS {
		return out.String()
	}
	rec.Reset()
	if _, err := p.Deploy(t.Context(), s, nil); err != nil {
		t.Fatal(err)
	}
	out.WriteString("# Deploy\n")
	last := ""
	for _, l := range rec.Lines() {
		l = clientTokenRE.ReplaceAllString(l, "ClientToken=<token>")
		if l == last && strings.Contains(l, "DescribeInstances") {
			continue // the number of polls depends on timing
		}
		out.WriteString(l + "\n")
		last = l
	}
	return out.String()
}
