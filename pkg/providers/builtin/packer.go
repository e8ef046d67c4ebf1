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
// directories go, the AWS regions, GCP zones, Azure locations, OCI and Alibaba regions the
// reaper lists instances in (comma-separated; default AWS_REGION for AWS, OCI_REGION and
// ALICLOUD_REGION for OCI and Alibaba, none for GCP and Azure), the API endpoints replacing
// EC2's, Compute Engine's, Resource Manager's and its login, OCI's Core Services and ECS (a
// compatible API, or a test's fake), and how often a wait reads an instance. Cloud
// credentials are the clouds' own variables (vm.CredentialVars), read from the executor's
// environment at each job.
var packerSettings = []string{"binary", "work_dir", "regions", "gcp_zones", "azure_locations", "ec2_endpoint", "gce_endpoint",
	"azure_endpoint", "azure_login_endpoint", "poll_interval", "oci_regions", "oci_endpoint", "alibaba_regions", "ecs_endpoint"}

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

// packerPlaces are the places (by cloud other than AWS) the reaper lists instances in: each
// cloud's setting, else (OCI, Alibaba) the cloud's region variable.
func packerPlaces(getenv func(string) string, settings map[string]string) map[config.PackerCloud][]string {
	places := map[config.PackerCloud][]string{}
	for cloud, src := range map[config.PackerCloud][2]string{
		config.CloudGCP:     {"gcp_zones", ""},
		config.CloudAzure:   {"azure_locations", ""},
		config.CloudOCI:     {"oci_regions", "OCI_REGION"},
		config.CloudAlibaba: {"alibaba_regions", "ALICLOUD_REGION"},
	} {
		l := list(settings[src[0]])
		if len(l) == 0 && src[1] != "" {
			l = list(getenv(src[1]))
		}
		if len(l) > 0 {
			places[cloud] = l
		}
	}
	return places
}

// newPacker is the packer row's constructor. It fails only on a poll_interval that is not a
// positive duration (a missing packer or credential is reported by the provider's Check and
// by each job).
func newPacker(getenv func(string) string, settings map[string]string) (providers.Provider, error) {
	var poll time.Duration
	if v := settings["poll_interval"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("packer: setting poll_interval is not a positive duration: write one such as 3s or 500ms")
		}
		poll = d
	}
	return vm.New(vm.Config{PollInterval: poll, Binary: settings["binary"], WorkDir: settings["work_dir"],
		Regions: list(settings["regions"]), Places: packerPlaces(getenv, settings), EC2Endpoint: settings["ec2_endpoint"],
		GCEEndpoint: settings["gce_endpoint"], AzureEndpoint: settings["azure_endpoint"], AzureLoginEndpoint: settings["azure_login_endpoint"],
		OCIEndpoint: settings["oci_endpoint"], ECSEndpoint: settings["ecs_endpoint"], Getenv: getenv}), nil
}
