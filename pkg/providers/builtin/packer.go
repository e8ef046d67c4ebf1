package builtin

import (
	"fmt"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
)

// packerSettings are the packer block's settings: the packer binary, where job template
// directories go, the AWS regions the reaper lists instances in (comma-separated; default
// AWS_REGION), and an EC2 endpoint replacing https://ec2.<region>.amazonaws.com (an
// EC2-compatible API, or a test's fake), and how often a wait reads an instance. Cloud credentials are the clouds' own variables (vm.CredentialVars), read from
// the executor's environment at each job.
var packerSettings = []string{"binary", "work_dir", "regions", "ec2_endpoint", "poll_interval"}

// newPacker is the packer row's constructor. It fails only on a poll_interval that is not a
// positive duration (a missing packer or credential is reported by the provider's Check and
// by each job).
func newPacker(getenv func(string) string, settings map[string]string) (providers.Provider, error) {
	var regions []string
	for _, r := range strings.Split(settings["regions"], ",") {
		if r = strings.TrimSpace(r); r != "" {
			regions = append(regions, r)
		}
	}
	var poll time.Duration
	if v := settings["poll_interval"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("packer: setting poll_interval is not a positive duration: write one such as 3s or 500ms")
		}
		poll = d
	}
	return vm.New(vm.Config{PollInterval: poll, Binary: settings["binary"], WorkDir: settings["work_dir"], Regions: regions,
		EC2Endpoint: settings["ec2_endpoint"], Getenv: getenv}), nil
}
