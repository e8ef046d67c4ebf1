package builtin

import (
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
)

// packerSettings are the packer block's settings: the packer binary and where job template
// directories go. Cloud credentials are the clouds' own variables (vm.CredentialVars), read
// from the executor's environment at each job.
var packerSettings = []string{"binary", "work_dir"}

// newPacker is the packer row's constructor; it never fails (a missing packer or credential
// is reported by the provider's Check and by each job).
func newPacker(getenv func(string) string, settings map[string]string) (providers.Provider, error) {
	return vm.New(vm.Config{Binary: settings["binary"], WorkDir: settings["work_dir"], Getenv: getenv}), nil
}
