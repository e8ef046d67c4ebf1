package devpod

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
)

// Paths in every Sindri image (contract §3.3(c)).
const (
	remoteUser       = "developer"
	homeDir          = "/alt/home/developer"
	workspaceFolder  = homeDir + "/workspace"
	postStartCommand = "/docker/scripts/entrypoint.sh"
)

// devcontainer is the devcontainer.json this provider writes: only fields devpod v0.6.15
// reads (spec/provider-apis/e2b-devpod.md §7).
type devcontainer struct {
	Name             string            `json:"name"`
	Image            string            `json:"image"`
	ContainerEnv     map[string]string `json:"containerEnv,omitempty"`
	RemoteUser       string            `json:"remoteUser"`
	WorkspaceFolder  string            `json:"workspaceFolder"`
	Mounts           []mount           `json:"mounts,omitempty"`
	RunArgs          []string          `json:"runArgs,omitempty"`
	HostRequirements *hostRequirements `json:"hostRequirements,omitempty"`
	Features         map[string]any    `json:"features"`
	PostStartCommand string            `json:"postStartCommand,omitempty"`
}

type mount struct {
	Type   string `json:"type"`
	Source string `json:"source"`
	Target string `json:"target"`
}

// hostRequirements documents the size; devpod ignores all but gpu (sizing goes through
// runArgs on docker and provider options elsewhere).
type hostRequirements struct {
	CPUs    int    `json:"cpus,omitempty"`
	Memory  string `json:"memory,omitempty"`
	Storage string `json:"storage,omitempty"`
	GPU     bool   `json:"gpu,omitempty"`
}

// containerEnv is the non-secret environment contract (§1.4). Secrets never go here: devpod
// copies containerEnv into the container's devcontainer.metadata label.
func containerEnv(c *config.Config) map[string]string {
	ext := c.Extensions
	env := map[string]string{
		"INIT_WORKSPACE":    "true",
		"INSTALL_PROFILE":   ext.Profile,
		"SKIP_AUTO_INSTALL": strconv.FormatBool(!ext.AutoInstallEnabled()),
	}
	if len(ext.Active) > 0 {
		env["CUSTOM_EXTENSIONS"] = strings.Join(ext.Active, ",")
	}
	if len(ext.Additional) > 0 {
		env["ADDITIONAL_EXTENSIONS"] = strings.Join(ext.Additional, ",")
	}
	if b := c.Deployment.BuildFromSource; b != nil && b.GitRef != "" {
		env["SINDRI_SOURCE_REF"] = b.GitRef
	}
	return env
}

// render builds the devcontainer.json of d, indented, with a final newline.
func render(d *desired, c *config.Config) ([]byte, error) {
	res := c.Deployment.Resources
	dc := devcontainer{
		Name:             d.ID,
		Image:            d.Image,
		ContainerEnv:     containerEnv(c),
		RemoteUser:       remoteUser,
		WorkspaceFolder:  workspaceFolder,
		Features:         map[string]any{},
		PostStartCommand: postStartCommand,
	}
	hr := &hostRequirements{CPUs: res.CPUCount(), GPU: c.GPUEnabled()}
	if mb := res.MemoryMB(); mb > 0 {
		hr.Memory = fmt.Sprintf("%dmb", mb)
	}
	if gb := workspaceGB(c); gb > 0 {
		hr.Storage = fmt.Sprintf("%dgb", gb)
	}
	dc.HostRequirements = hr
	if d.Backend.Type == "docker" {
		// Only devpod's docker backend runs these as given; the home volume outlives
		// `devpod delete` and is removed by Destroy.
		dc.Mounts = []mount{{Type: "volume", Source: d.Volume, Target: homeDir}}
		dc.RunArgs = dockerRunArgs(c, d.Stable)
	}
	b, err := json.MarshalIndent(dc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("%s: devcontainer.json: %w", Name, err)
	}
	return append(b, '\n'), nil
}

// labelProvider marks the docker backend's containers as this provider's, so that Destroy
// finds them by label when devpod's registry of them is lost (a temporary DEVPOD_HOME) and
// never takes the docker provider's containers of the same environment.
const labelProvider = "sindri.dev/provider"

// dockerRunArgs sizes the container (devpod ignores hostRequirements) and labels it, so that
// the engine shows whose it is.
func dockerRunArgs(c *config.Config, labels map[string]string) []string {
	res := c.Deployment.Resources
	var args []string
	if n := res.CPUCount(); n > 0 {
		args = append(args, "--cpus="+strconv.Itoa(n))
	}
	if mb := res.MemoryMB(); mb > 0 {
		args = append(args, fmt.Sprintf("--memory=%dm", mb))
	}
	if c.GPUEnabled() {
		args = append(args, "--gpus", "all")
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		args = append(args, "--label", k+"="+labels[k])
	}
	return append(args, "--label", labelProvider+"="+Name)
}
