package devpod_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/internal/cli/clitest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

func TestMain(m *testing.M) {
	clitest.Main()
	os.Exit(m.Run())
}

// providerOptions are the option names of devpod v0.6.15's providers
// (spec/provider-apis/e2b-devpod.md §6.6), what the fake answers `provider options` with.
var providerOptions = map[string][]string{
	"docker": {"DOCKER_PATH", "DOCKER_HOST", "DOCKER_BUILDER", "INACTIVITY_TIMEOUT"},
	"kubernetes": {"KUBERNETES_NAMESPACE", "KUBERNETES_CONTEXT", "KUBERNETES_CONFIG", "CREATE_NAMESPACE", "DISK_SIZE",
		"STORAGE_CLASS", "PVC_ACCESS_MODE", "PVC_ANNOTATIONS", "RESOURCES", "NODE_SELECTOR", "LABELS", "POD_MANIFEST_TEMPLATE",
		"SERVICE_ACCOUNT", "CLUSTER_ROLE", "KUBERNETES_PULL_SECRETS_ENABLED", "POD_TIMEOUT", "INACTIVITY_TIMEOUT"},
	"aws": {"AWS_REGION", "AWS_PROFILE", "AWS_INSTANCE_TYPE", "AWS_DISK_SIZE", "AWS_AMI", "AWS_VPC_ID", "AWS_SUBNET_ID",
		"AWS_SECURITY_GROUP_ID", "AWS_INSTANCE_TAGS", "AWS_USE_SPOT_INSTANCE", "INACTIVITY_TIMEOUT"},
	"gcloud":       {"PROJECT", "ZONE", "MACHINE_TYPE", "DISK_SIZE", "DISK_IMAGE", "NETWORK", "SUBNETWORK", "TAG", "INACTIVITY_TIMEOUT"},
	"azure":        {"AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZURE_REGION", "AZURE_INSTANCE_SIZE", "AZURE_DISK_SIZE", "AZURE_DISK_TYPE", "AZURE_TAGS", "INACTIVITY_TIMEOUT"},
	"digitalocean": {"TOKEN", "REGION", "MACHINE_TYPE", "DISK_SIZE", "DISK_IMAGE", "INACTIVITY_TIMEOUT"},
	"ssh":          {"HOST", "PORT", "EXTRA_FLAGS", "USE_BUILTIN_SSH", "DOCKER_PATH", "AGENT_PATH", "INACTIVITY_TIMEOUT"},
}

// optionsJSON is a `provider options --output json` answer naming opts.
func optionsJSON(t *testing.T, opts []string) string {
	t.Helper()
	m := map[string]map[string]string{}
	for _, o := range opts {
		m[o] = map[string]string{"description": o}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fakeDevpod installs a fake devpod for devpod provider prov: no provider added yet, an
// unknown workspace on the first misses status calls (one per Plan and per Deploy before its
// `up`) and a running one afterwards, and an `up` that prints devpod-like lines (colour codes
// included). extra rules go first.
func fakeDevpod(t *testing.T, prov string, secrets []string, misses int, extra ...clitest.Rule) *clitest.Fake {
	t.Helper()
	rules := append(extra,
		clitest.Rule{Args: []string{"version"}, Stdout: "v0.6.15"},
		clitest.Rule{Args: []string{"provider", "list"}, Stdout: "{}"},
		clitest.Rule{Args: []string{"provider", "options", prov}, Stdout: optionsJSON(t, providerOptions[prov])})
	if misses > 0 {
		rules = append(rules, clitest.Rule{Args: []string{"status"}, Stderr: "\x1b[0;1;31mfatal \x1b[0mworkspace x doesn't exist\n", ExitCode: 1, Max: misses})
	}
	rules = append(rules,
		clitest.Rule{Args: []string{"status"}, Stdout: `{"id":"x","context":"default","provider":"` + prov + `","state":"Running"}`},
		clitest.Rule{Args: []string{"up"}, Stdout: "\x1b[0;1;36minfo \x1b[0mCreating devcontainer...\n\x1b[0;1;32mdone \x1b[0mSuccessfully started\n"},
	)
	return clitest.New(t, clitest.Script{Name: "devpod", Rules: rules, Secrets: secrets, EnvValues: true})
}

// devpodBinary returns the real devpod v0.6.15 from SINDRI_DEVPOD_BIN or scripts/tools.sh
// (which builds it once, ~6 min), and skips the test without SINDRI_HEAVY=1.
func devpodBinary(t *testing.T) string {
	t.Helper()
	return providertest.ToolBinary(t, "devpod", "SINDRI_DEVPOD_BIN")
}
