// Package jobs defines the deployment Job wire type (v1), job kinds, the job status state
// machine, idempotency keys and environment naming.
package jobs

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// WireVersion is the Job wire version this code writes and accepts.
const WireVersion = 1

// Kind is what a job asks for.
type Kind string

// Job kinds.
const (
	KindDeploy  Kind = "deploy"
	KindDestroy Kind = "destroy"
	KindStop    Kind = "stop"
	KindStart   Kind = "start"
	KindStatus  Kind = "status"
	KindPlan    Kind = "plan"
	KindReap    Kind = "reap"

	// Image kinds act on a VM image, not an environment: Env names the image (its lease key
	// is ImageLeaseKey(Env)), Config carries the sindri.yaml whose providers.packer block
	// describes it.
	KindImageBuild    Kind = "image-build"
	KindImageValidate Kind = "image-validate"
	KindImageList     Kind = "image-list"
	KindImageDelete   Kind = "image-delete"
)

// kindInfo is what each kind is, as data: every switch over kinds reads this table.
var kindInfo = map[Kind]struct {
	mutates bool // changes what exists: takes the lease and the generation check
	image   bool // acts on an image rather than an environment
	config  bool // the job must carry the sindri.yaml text
}{
	KindDeploy:        {mutates: true, config: true},
	KindDestroy:       {mutates: true},
	KindStop:          {mutates: true},
	KindStart:         {mutates: true},
	KindStatus:        {},
	KindPlan:          {config: true},
	KindReap:          {mutates: true},
	KindImageBuild:    {mutates: true, image: true, config: true},
	KindImageValidate: {image: true, config: true},
	KindImageList:     {image: true, config: true},
	KindImageDelete:   {mutates: true, image: true, config: true},
}

// Kinds lists every kind in a stable order.
var Kinds = []Kind{KindDeploy, KindDestroy, KindStop, KindStart, KindStatus, KindPlan, KindReap,
	KindImageBuild, KindImageValidate, KindImageList, KindImageDelete}

// String implements fmt.Stringer.
func (k Kind) String() string { return string(k) }

// ParseKind returns the Kind named v, or an error listing the valid kinds.
func ParseKind(v string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == v {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown job kind %q; valid: %s", v, kindList())
}

// NeedsConfig reports whether a job of this kind must carry the sindri.yaml text. The others
// (teardown, status, reap) act on what exists and carry it only when they have it.
func (k Kind) NeedsConfig() bool { return kindInfo[k].config }

// Mutates reports whether a job of this kind changes what exists (and so needs the lease
// and takes part in the generation check).
func (k Kind) Mutates() bool { return kindInfo[k].mutates }

// Image reports whether a job of this kind acts on a VM image rather than an environment.
// Image jobs have no environment record and no GitHub Deployment.
func (k Kind) Image() bool { return kindInfo[k].image }

// LeaseKey returns the lease key of a job of kind k on env: the environment's name, or for
// image kinds ImageLeaseKey(env), so that an image and an environment of the same name never
// share a lease.
func (k Kind) LeaseKey(env string) string {
	if k.Image() {
		return ImageLeaseKey(env)
	}
	return env
}

// ImageLeaseKey is the lease key of image name.
func ImageLeaseKey(name string) string { return "image." + name }

// ValidLeaseKey reports whether key is an environment name or an image's lease key.
func ValidLeaseKey(key string) bool {
	if name, ok := strings.CutPrefix(key, "image."); ok {
		return ValidEnvName(name)
	}
	return ValidEnvName(key)
}

// ConfigBlob carries the raw sindri.yaml so the executor re-validates with the same code.
type ConfigBlob struct {
	// Path is the config's path relative to the repository root, for error messages.
	Path string `json:"path"`
	// Text is the file's exact content.
	Text string `json:"text"`
}

// Job is one unit of work on the bus (wire version 1).
type Job struct {
	V           int        `json:"v"`
	ID          string     `json:"id"` // UUIDv7
	Kind        Kind       `json:"kind"`
	Env         string     `json:"env"`
	Provider    string     `json:"provider"`
	Generation  uint64     `json:"generation"`
	Repo        string     `json:"repo,omitempty"`
	PR          int        `json:"pr,omitempty"`
	SHA         string     `json:"sha,omitempty"`
	Ref         string     `json:"ref,omitempty"`
	Trigger     string     `json:"trigger,omitempty"` // e.g. pull_request.synchronize
	RequestedBy string     `json:"requested_by,omitempty"`
	Config      ConfigBlob `json:"config"`
	// Image, when set, is the image reference the action resolved for Config
	// (image_config.version looked up in the registry): the executor runs it instead of
	// resolving again, so every attempt of the job runs the same image. Optional; empty means
	// the executor takes the image from the config (config.Config.ImageRef).
	Image string `json:"image,omitempty"`
	// SealedSecrets holds secret values sealed to the executor's curve key (nkeys xkey),
	// base64; empty in embedded mode, where the executor resolves secrets itself.
	SealedSecrets string    `json:"sealed_secrets,omitempty"`
	Options       Options   `json:"options,omitzero"`
	CreatedAt     time.Time `json:"created_at"`
	Deadline      time.Time `json:"deadline,omitzero"`
}

// Options are per-job switches.
type Options struct {
	Force bool `json:"force,omitempty"`
	// TTL, when set, is how long the environment may live before the reaper removes it.
	TTL Duration `json:"ttl,omitempty"`
}

// Duration is a time.Duration encoded as a Go duration string ("1h30m").
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"1h30m\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
