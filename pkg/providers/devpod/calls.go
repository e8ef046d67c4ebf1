package devpod

import (
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// envFilePlaceholder stands for the secret file's path in Plan.Calls.
const envFilePlaceholder = "<workspace-env-file>"

// upArgs is the `devpod up` call for a. A new workspace is made from its source folder
// under the id and the backend's provider; an existing one is named by id (devpod keeps its
// source and provider). Every call passes --ide none --configure-ssh=false, so that devpod
// opens nothing and never edits ~/.ssh/config, and the options per workspace.
func (p *Provider) upArgs(d *desired, a action, envFile string) []string {
	args := []string{"up"}
	switch a {
	case actCreate, actReplace:
		args = append(args, srcDir(p.cfg.Home, d.ID), "--id", d.ID, "--provider", d.Backend.Provider)
	default:
		args = append(args, d.ID)
	}
	if a == actRecreate {
		args = append(args, "--recreate")
	}
	args = append(args, "--ide", "none", "--configure-ssh=false")
	args = append(args, optionArgs("--provider-option", d.Options)...)
	if envFile != "" {
		args = append(args, "--workspace-env-file", envFile)
	}
	return args
}

// deleteArgs deletes a workspace whatever its state, an unknown id being success.
func deleteArgs(id string) []string {
	return []string{"delete", id, "--force", "--ignore-not-found"}
}

// calls lists, for Plan, the commands Deploy runs for decision dec.
func (p *Provider) calls(d *desired, dec *decision, providerKnown bool) []string {
	var out []string
	cmd := func(bin string, args ...string) { out = append(out, bin+" "+strings.Join(args, " ")) }
	cmd("devpod", "provider", "list", "--output", "json")
	if !providerKnown {
		cmd("devpod", p.addArgs(d)...)
	}
	cmd("devpod", "provider", "options", d.Backend.Provider, "--output", "json")
	cmd("devpod", "status", d.ID, "--output", "json")
	if dec.Action == actKeep {
		return out
	}
	if dec.Action == actReplace {
		cmd("devpod", deleteArgs(d.ID)...)
	}
	envFile := ""
	if len(d.Secrets) > 0 {
		envFile = envFilePlaceholder
	}
	cmd("devpod", p.upArgs(d, dec.Action, envFile)...)
	cmd("devpod", "status", d.ID, "--output", "json")
	return out
}

// connection is how users reach the workspace: devpod ssh with this executor's home.
func (p *Provider) connection(home, id string) *providers.Connection {
	base := "DEVPOD_HOME=" + home + " devpod ssh " + id
	return &providers.Connection{
		SSHCommand:   base,
		ExecCommand:  base + " --workdir " + workspaceFolder + " --command",
		Instructions: "run on the executor's machine: devpod's registry of the workspace is in " + home,
	}
}
