package providers

import (
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
)

// Label keys every provider puts on what it creates.
const (
	LabelEnv       = "sindri.dev/env"
	LabelRepo      = "sindri.dev/repo"
	LabelPR        = "sindri.dev/pr"
	LabelSHA       = "sindri.dev/sha"
	LabelManagedBy = "sindri.dev/managed-by"
	LabelExpiresAt = "sindri.dev/expires-at"

	// ManagedByValue is the value of LabelManagedBy.
	ManagedByValue = "sindri-deploy"
)

// Spec is everything a provider needs for one environment: the validated config, the derived
// environment name, the resolved image, resolved secrets and labels.
type Spec struct {
	// Env is the environment name: a DNS-1123 label of at most 63 characters, from which every
	// provider derives its resource names.
	Env string `json:"env"`
	// Config is the validated sindri.yaml with defaults applied. Guaranteed only for Plan and
	// Deploy; teardown verbs get it when the job carried it (see Provider).
	Config *config.Config `json:"-"`
	// Handle is the last handle recorded for the environment (nil when none), a hint that
	// labels override. Parse errors are the provider's to report.
	Handle *Handle `json:"-"`
	// Image is the resolved image reference to run.
	Image string `json:"image"`
	// Secrets are resolved secret values, delivered to the environment without being logged.
	Secrets []SecretValue `json:"-"`
	// Credentials are job secrets named in the provider's Capabilities.Credentials: the
	// provider may use them (a registry password, a kubeconfig), and they are never delivered
	// into the environment.
	Credentials []SecretValue `json:"-"`
	// Labels are put on every resource the provider creates.
	Labels map[string]string `json:"labels,omitempty"`
	// Options are per-job options.
	Options Options `json:"options"`
	// Locks takes leases shared with other environments' jobs (nil: none are taken; see
	// Locks).
	Locks Locks `json:"-"`
}

// SecretValue is a resolved secret. Value's String and format methods redact it.
type SecretValue struct {
	Name string
	// Value must be a type whose fmt and JSON forms print [redacted]; providers call Reveal only
	// at the point of delivery.
	Value Revealer
	// MountPath is set for file secrets: where the content goes in the environment.
	MountPath   string
	Permissions string
}

// Revealer is a secret holder that only gives its content on explicit request.
type Revealer interface {
	Reveal() string
}

// Options are per-job switches.
type Options struct {
	// Force recreates resources even when they exist.
	Force bool `json:"force,omitempty"`
	// Timeout bounds a deploy's wait for readiness; 0 means the provider's default.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// ActionType is what a plan action does (upstream JSON values).
type ActionType string

// Plan action types.
const (
	ActionCreate  ActionType = "create"
	ActionUpdate  ActionType = "update"
	ActionDelete  ActionType = "delete"
	ActionStart   ActionType = "start"
	ActionStop    ActionType = "stop"
	ActionRestart ActionType = "restart"
	ActionNone    ActionType = "none"
)

// Plan is what Deploy would do. It keeps the upstream JSON shape (actions, resources,
// estimated_cost) and adds the exact calls and the rendered artifacts.
type Plan struct {
	Provider      string            `json:"provider"`
	Actions       []PlannedAction   `json:"actions"`
	Resources     []PlannedResource `json:"resources"`
	EstimatedCost *CostEstimate     `json:"estimated_cost,omitempty"`
	// Calls lists the exact API calls or commands Deploy would issue, in order.
	Calls []string `json:"calls,omitempty"`
	// Artifacts maps an artifact file name (docker-compose.yml, fly.toml, ...) to its content.
	Artifacts map[string]string `json:"artifacts,omitempty"`
	// Warnings are things Deploy would do differently from what the config asks (a fallback
	// from suspend to stop, a pod without a public IP).
	Warnings []string `json:"warnings,omitempty"`
}

// PlannedAction is one step of a Plan.
type PlannedAction struct {
	Action      ActionType `json:"action"`
	Resource    string     `json:"resource"`
	Description string     `json:"description"`
}

// PlannedResource is one resource a Plan touches.
type PlannedResource struct {
	ResourceType string         `json:"resource_type"`
	Name         string         `json:"name"`
	Config       map[string]any `json:"config,omitempty"`
}

// CostEstimate is an optional price estimate. Hourly and Monthly are the upstream fields (the
// environment running); a nil Hourly means the price is unknown, never zero.
type CostEstimate struct {
	Hourly   *float64 `json:"hourly,omitempty"`
	Monthly  *float64 `json:"monthly,omitempty"`
	Currency string   `json:"currency"`
	Notes    string   `json:"notes,omitempty"`
	// StoppedHourly is what the environment costs per hour while stopped, suspended or
	// paused (its volumes); nil when unknown.
	StoppedHourly *float64 `json:"stopped_hourly,omitempty"`
	// Basis names the price table the estimate came from: its source and date, or the
	// executor's override ("executor rate"), or "local" for a free local engine.
	Basis string `json:"basis,omitempty"`
	// GPUModel and GPUCount are the GPUs the environment would get (per instance, times
	// Instances); Region is where it would run. The executor's spending policy checks them.
	GPUModel  string `json:"gpu_model,omitempty"`
	GPUCount  int    `json:"gpu_count,omitempty"`
	Region    string `json:"region,omitempty"`
	Instances int    `json:"instances,omitempty"`
}

// Deployment is the result of a successful Deploy.
type Deployment struct {
	Env      string `json:"env"`
	Provider string `json:"provider"`
	// Handle is the provider's versioned handle for what it made (providers.NewHandle, e.g.
	// `docker/v2:{"container":"<id>"}`),
	// so that a restarted worker can find it again.
	Handle     string      `json:"handle,omitempty"`
	State      State       `json:"state"`
	Connection *Connection `json:"connection,omitempty"`
	// Changed is false when Deploy found everything already as specified.
	Changed  bool     `json:"changed"`
	Messages []string `json:"messages,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Connection tells a user how to reach an environment.
type Connection struct {
	SSHCommand   string `json:"ssh_command,omitempty"`
	ExecCommand  string `json:"exec_command,omitempty"`
	HTTPURL      string `json:"http_url,omitempty"`
	HTTPSURL     string `json:"https_url,omitempty"`
	Instructions string `json:"instructions,omitempty"`
}

// Status is the observed state of an environment (upstream DeploymentStatus shape).
type Status struct {
	Env        string            `json:"name"`
	Provider   string            `json:"provider"`
	State      State             `json:"state"`
	InstanceID string            `json:"instance_id,omitempty"`
	Image      string            `json:"image,omitempty"`
	Addresses  []Address         `json:"addresses,omitempty"`
	Resources  *ResourceUsage    `json:"resources,omitempty"`
	Timestamps Timestamps        `json:"timestamps"`
	Details    map[string]string `json:"details,omitempty"`
}

// AddressType is the kind of an Address.
type AddressType string

// Address types (upstream JSON values).
const (
	AddressInternal AddressType = "internal"
	AddressExternal AddressType = "external"
	AddressSSH      AddressType = "ssh"
	AddressHTTP     AddressType = "http"
	AddressHTTPS    AddressType = "https"
)

// Address is one way to reach an environment.
type Address struct {
	Type  AddressType `json:"type"`
	Value string      `json:"value"`
	Port  int         `json:"port,omitempty"`
}

// ResourceUsage is a point-in-time usage sample.
type ResourceUsage struct {
	CPUPercent  *float64 `json:"cpu_percent,omitempty"`
	MemoryBytes *uint64  `json:"memory_bytes,omitempty"`
	MemoryLimit *uint64  `json:"memory_limit,omitempty"`
	DiskBytes   *uint64  `json:"disk_bytes,omitempty"`
	DiskLimit   *uint64  `json:"disk_limit,omitempty"`
}

// Timestamps are lifecycle times, all optional.
type Timestamps struct {
	CreatedAt *time.Time `json:"created_at,omitempty"`
	StartedAt *time.Time `json:"started_at,omitempty"`
	StoppedAt *time.Time `json:"stopped_at,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// SplitCredentials moves the secrets named in names out of s.Secrets into s.Credentials,
// except those listed in deliver (the config's deliver: true), which stay in both. It returns
// the names withheld from the environment, for a warning.
func SplitCredentials(s *Spec, names []string, deliver map[string]bool) []string {
	if len(names) == 0 || len(s.Secrets) == 0 {
		return nil
	}
	isCred := make(map[string]bool, len(names))
	for _, n := range names {
		isCred[n] = true
	}
	var keep []SecretValue
	var withheld []string
	for _, sv := range s.Secrets {
		if !isCred[sv.Name] || sv.MountPath != "" {
			keep = append(keep, sv)
			continue
		}
		s.Credentials = append(s.Credentials, sv)
		if deliver[sv.Name] {
			keep = append(keep, sv)
		} else {
			withheld = append(withheld, sv.Name)
		}
	}
	s.Secrets = keep
	return withheld
}
