package devpod

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// maxID is devpod's limit on a workspace id (`--id`).
const maxID = 48

// desired is what Deploy makes for a spec, every default applied once.
type desired struct {
	ID      string
	Backend *backend
	Image   string
	// Labels are the spec's, recorded for List (expires-at among them); Stable are those
	// without the per-job ones, which the container, the VM tags and the hash carry.
	Labels map[string]string
	Stable map[string]string
	// Volume is the docker backend's home volume ("" on other backends).
	Volume string
	// Options are the devpod provider's options, passed per workspace.
	Options map[string]string
	// Devcontainer is the rendered devcontainer.json.
	Devcontainer []byte
	// Hash fingerprints everything `up` on an existing workspace would ignore: the
	// devcontainer, the options and the delivered secrets.
	Hash string
	// Secrets are delivered through --workspace-env-file.
	Secrets map[string]string
	// Warnings are what Deploy does differently from what the config asks.
	Warnings []string
}

// volatileLabels change from job to job without changing what the environment is: they are
// recorded but never put on the workspace (where `up` would not update them) nor hashed.
var volatileLabels = map[string]bool{
	providers.LabelJobID:      true,
	providers.LabelGeneration: true,
	providers.LabelExpiresAt:  true,
}

// workspaceID is the devpod workspace id of env: env itself when it fits devpod's 48
// characters, else a prefix and a hash of the whole name.
func workspaceID(env string) string {
	if len(env) <= maxID {
		return env
	}
	sum := sha256.Sum256([]byte(env))
	return strings.TrimRight(env[:maxID-9], "-") + "-" + hex.EncodeToString(sum[:])[:8]
}

// resolve turns a spec into the desired workspace. Errors: ErrInvalidSpec for an unknown
// backend, a missing required option or no image.
func (p *Provider) resolve(s *providers.Spec) (*desired, error) {
	if s.Config == nil {
		return nil, fmt.Errorf("%s: the job carries no config: %w", Name, providers.ErrInvalidSpec)
	}
	b, err := backendOf(s.Config)
	if err != nil {
		return nil, err
	}
	image, defaulted := s.Image, false
	if image == "" {
		// The guide's DevPod example names no image: the workspace runs the released Sindri
		// image, as docker and fly do for such configs (docs/config.md).
		image, defaulted = config.DefaultImageFor(s.Config.Deployment.Distro), true
	}
	d := &desired{ID: workspaceID(s.Env), Backend: b, Image: image, Labels: maps.Clone(s.Labels), Secrets: map[string]string{}}
	if d.Labels == nil {
		d.Labels = map[string]string{}
	}
	d.Labels[providers.LabelEnv] = s.Env
	d.Labels[providers.LabelManagedBy] = providers.ManagedByValue
	d.Stable = map[string]string{}
	for k, v := range d.Labels {
		if !volatileLabels[k] {
			d.Stable[k] = v
		}
	}
	if b.Type == "docker" {
		d.Volume = d.ID + "-home"
	}
	opts, warnings, err := b.resolveOptions(s.Config, d.Stable, func(v string) string { return credential(p.cfg.Getenv, s, v) })
	if err != nil {
		return nil, err
	}
	d.Options, d.Warnings = opts, warnings
	if defaulted {
		d.Warnings = append(d.Warnings, "no image named: the workspace runs the released Sindri image "+image+" (set deployment.image to pin one)")
	}
	if b.Machine && !p.cfg.Persistent {
		return nil, fmt.Errorf("%s: backend %s creates a VM per workspace, and this executor's DEVPOD_HOME is a temporary folder: the VM would be orphaned when the executor stops (set the devpod provider's home setting on a long-lived executor): %w", Name, b.Type, providers.ErrInvalidSpec)
	}
	if dp := s.Config.Providers.DevPod; dp != nil && dp.BuildRepository != "" {
		d.Warnings = append(d.Warnings, "providers.devpod.buildRepository is not used: the workspace runs the job's image "+s.Image)
	}
	for _, sv := range s.Secrets {
		if sv.Value == nil {
			continue
		}
		if sv.MountPath != "" {
			d.Warnings = append(d.Warnings, fmt.Sprintf("file secret %s (mountPath %s) is not delivered: devpod delivers environment variables only", sv.Name, sv.MountPath))
			continue
		}
		d.Secrets[sv.Name] = sv.Value.Reveal()
	}
	if d.Devcontainer, err = render(d, s.Config); err != nil {
		return nil, err
	}
	d.Hash = d.hash()
	return d, nil
}

// hash fingerprints the devcontainer, backend, options and secrets (values hashed together
// with their names, never stored or shown).
func (d *desired) hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", d.Devcontainer, d.Backend.Type)
	for _, k := range slices.Sorted(maps.Keys(d.Options)) {
		fmt.Fprintf(h, "o %s=%s\n", k, d.Options[k])
	}
	for _, k := range slices.Sorted(maps.Keys(d.Secrets)) {
		fmt.Fprintf(h, "s %s=%s\n", k, d.Secrets[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// optionArgs renders the options as repeated flag K=V pairs, sorted.
func optionArgs(flag string, opts map[string]string) []string {
	var args []string
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		args = append(args, flag, k+"="+opts[k])
	}
	return args
}
