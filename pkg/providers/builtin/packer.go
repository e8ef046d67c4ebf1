package builtin

import (
	"fmt"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
)

// packerSettings are the packer block's settings: the packer binary, where job template
// directories go, the AWS regions, GCP zones and Azure locations the reaper lists instances
// in (comma-separated; default AWS_REGION for AWS, none elsewhere), the API endpoints
// replacing EC2's, Compute Engine's and Resource Manager's and its login (a compatible API,
// or a test's fake), and how often a wait reads an instance. Cloud credentials are the
// clouds' own variables (vm.CredentialVars), read from the executor's environment at each
// job.
var packerSettings = []string{"binary", "work_dir", "regions", "gcp_zones", "azure_locations", "ec2_endpoint", "gce_endpoint",
	"azure_endpoint", "azure_login_endpoint", "poll_interval"}

// list splits a comma-separated setting.
func list(v string) []string {
	var out []string
	for _, r := range strings.Split(v, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// newPacker is the packer row's constructor. It fails only on a poll_interval that is not a
// positive duration (a missing packer or credential is reported by the provider's Check and
// by each job).
func newPacker(getenv func(string) string, settings map[string]string) (providers.Provider, error) {
	places := map[config.PackerCloud][]string{}
	if z := list(settings["gcp_zones"]); len(z) > 0 {
		places[config.CloudGCP] = z
	}
	if l := list(settings["azure_locations"]); len(l) > 0 {
		places[config.CloudAzure] = l
	}
	var poll time.Duration
	if v := settings["poll_interval"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("packer: setting poll_interval is not a positive duration: write one such as 3s or 500ms")
		}
		poll = d
	}
	return vm.New(vm.Config{PollInterval: poll, Binary: settings["binary"], WorkDir: settings["work_dir"],
		Regions: list(settings["regions"]), Places: places, EC2Endpoint: settings["ec2_endpoint"], GCEEndpoint: settings["gce_endpoint"],
		AzureEndpoint: settings["azure_endpoint"], AzureLoginEndpoint: settings["azure_login_endpoint"], Getenv: getenv}), nil
}
