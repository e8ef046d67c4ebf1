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
// directories go, the AWS regions the reaper lists instances in (comma-separated; default
// AWS_REGION), and an EC2 endpoint replacing https://ec2.<region>.amazonaws.com (an
// EC2-compatible API, or a test's fake), and how often a wait reads an instance; the OCI
// and Alibaba regions the reaper lists (default OCI_REGION, ALICLOUD_REGION) and their API
// endpoints. Cloud credentials are the clouds' own variables (vm.CredentialVars), read from
// the executor's environment at each job.
var packerSettings = []string{"binary", "work_dir", "regions", "ec2_endpoint", "poll_interval",
	"oci_regions", "oci_endpoint", "alibaba_regions", "ecs_endpoint"}

// commaList splits a comma-separated setting, dropping empty items.
func commaList(v string) []string {
	var out []string
	for _, r := range strings.Split(v, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// packerPlaces are the places (by cloud other than AWS) the reaper lists instances in: the
// setting, else the cloud's region variable.
func packerPlaces(getenv func(string) string, settings map[string]string) map[config.PackerCloud][]string {
	places := map[config.PackerCloud][]string{}
	for cloud, src := range map[config.PackerCloud][2]string{
		config.CloudOCI:     {"oci_regions", "OCI_REGION"},
		config.CloudAlibaba: {"alibaba_regions", "ALICLOUD_REGION"},
	} {
		list := commaList(settings[src[0]])
		if len(list) == 0 {
			list = commaList(getenv(src[1]))
		}
		if len(list) > 0 {
			places[cloud] = list
		}
	}
	return places
}

// newPacker is the packer row's constructor. It fails only on a poll_interval that is not a
// positive duration (a missing packer or credential is reported by the provider's Check and
// by each job).
func newPacker(getenv func(string) string, settings map[string]string) (providers.Provider, error) {
	regions := commaList(settings["regions"])
	var poll time.Duration
	if v := settings["poll_interval"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("packer: setting poll_interval is not a positive duration: write one such as 3s or 500ms")
		}
		poll = d
	}
	return vm.New(vm.Config{PollInterval: poll, Binary: settings["binary"], WorkDir: settings["work_dir"], Regions: regions,
		EC2Endpoint: settings["ec2_endpoint"], OCIEndpoint: settings["oci_endpoint"], ECSEndpoint: settings["ecs_endpoint"],
		Places: packerPlaces(getenv, settings), Getenv: getenv}), nil
}
