package flytest

import (
	"encoding/json"
	"fmt"
	"time"
)

// The wire shapes the fake accepts and answers (shared/spec/provider-apis/fly.md §2-§5). Request
// bodies are decoded strictly: a field the API does not document is a violation.

type createAppBody struct {
	Name             string `json:"name"`
	AppName          string `json:"app_name"`
	OrgSlug          string `json:"org_slug"`
	Network          string `json:"network,omitempty"`
	EnableSubdomains bool   `json:"enable_subdomains,omitempty"`
	AppRoleID        string `json:"app_role_id,omitempty"`
}

type appJSON struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Status       string  `json:"status"`
	Organization orgJSON `json:"organization"`
	Network      string  `json:"network,omitempty"`
	MachineCount int     `json:"machine_count"`
	VolumeCount  int     `json:"volume_count"`
	CreatedAt    int64   `json:"created_at"`
}

type orgJSON struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// duration accepts a Go duration string or integer nanoseconds, as the API does (fly.md §3.2).
type duration string

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		if _, err := time.ParseDuration(s); err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = duration(s)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration %s: neither a string nor nanoseconds", b)
	}
	*d = duration(time.Duration(n).String())
	return nil
}

// autostop accepts "off", "stop", "suspend" or a boolean, and answers booleans for off and stop
// and "suspend" for suspend (fly.md §3.2).
type autostop string

func (a *autostop) UnmarshalJSON(b []byte) error {
	var on bool
	if json.Unmarshal(b, &on) == nil {
		*a = map[bool]autostop{false: "off", true: "stop"}[on]
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil || (s != "off" && s != "stop" && s != "suspend") {
		return fmt.Errorf("autostop %s: want off, stop, suspend or a boolean", b)
	}
	*a = autostop(s)
	return nil
}

func (a autostop) MarshalJSON() ([]byte, error) {
	switch a {
	case "suspend":
		return []byte(`"suspend"`), nil
	case "stop":
		return []byte("true"), nil
	}
	return []byte("false"), nil
}

type machineConfig struct {
	Image       string            `json:"image"`
	Env         map[string]string `json:"env,omitempty"`
	Init        *initConfig       `json:"init,omitempty"`
	Guest       *guest            `json:"guest,omitempty"`
	Size        string            `json:"size,omitempty"`
	Services    []service         `json:"services,omitempty"`
	Mounts      []mount           `json:"mounts,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Restart     *restart          `json:"restart,omitempty"`
	Checks      map[string]check  `json:"checks,omitempty"`
	StopConfig  *stopConfig       `json:"stop_config,omitempty"`
	AutoDestroy bool              `json:"auto_destroy,omitempty"`
	Files       []file            `json:"files,omitempty"`
	Processes   json.RawMessage   `json:"processes,omitempty"`
	DNS         json.RawMessage   `json:"dns,omitempty"`
	Metrics     json.RawMessage   `json:"metrics,omitempty"`
	Schedule    string            `json:"schedule,omitempty"`
	Standbys    []string          `json:"standbys,omitempty"`
	Statics     json.RawMessage   `json:"statics,omitempty"`
	Rootfs      json.RawMessage   `json:"rootfs,omitempty"`
	Containers  json.RawMessage   `json:"containers,omitempty"`
	Volumes     json.RawMessage   `json:"volumes,omitempty"`
}

type initConfig struct {
	Exec       []string `json:"exec,omitempty"`
	Entrypoint []string `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	TTY        bool     `json:"tty,omitempty"`
	SwapSizeMB int      `json:"swap_size_mb,omitempty"`
	KernelArgs []string `json:"kernel_args,omitempty"`
}

type guest struct {
	CPUKind          string   `json:"cpu_kind,omitempty"`
	CPUs             int      `json:"cpus,omitempty"`
	MemoryMB         int      `json:"memory_mb,omitempty"`
	GPUKind          string   `json:"gpu_kind,omitempty"`
	GPUs             int      `json:"gpus,omitempty"`
	HostDedicationID string   `json:"host_dedication_id,omitempty"`
	KernelArgs       []string `json:"kernel_args,omitempty"`
	MaxMemoryMB      int      `json:"max_memory_mb,omitempty"`
	PersistRootfs    string   `json:"persist_rootfs,omitempty"`
}

type service struct {
	Protocol           string          `json:"protocol"`
	InternalPort       int             `json:"internal_port"`
	Ports              []port          `json:"ports,omitempty"`
	Autostop           *autostop       `json:"autostop,omitempty"`
	Autostart          *bool           `json:"autostart,omitempty"`
	MinMachinesRunning *int            `json:"min_machines_running,omitempty"`
	Concurrency        json.RawMessage `json:"concurrency,omitempty"`
	Checks             []serviceCheck  `json:"checks,omitempty"`
	ForceInstanceKey   string          `json:"force_instance_key,omitempty"`
}

type port struct {
	Port              int             `json:"port,omitempty"`
	StartPort         int             `json:"start_port,omitempty"`
	EndPort           int             `json:"end_port,omitempty"`
	Handlers          []string        `json:"handlers,omitempty"`
	ForceHTTPS        bool            `json:"force_https,omitempty"`
	HTTPOptions       json.RawMessage `json:"http_options,omitempty"`
	TLSOptions        json.RawMessage `json:"tls_options,omitempty"`
	ProxyProtoOptions json.RawMessage `json:"proxy_proto_options,omitempty"`
}

type serviceCheck struct {
	Type          string          `json:"type"`
	Port          int             `json:"port,omitempty"`
	Interval      duration        `json:"interval,omitempty"`
	Timeout       duration        `json:"timeout,omitempty"`
	GracePeriod   duration        `json:"grace_period,omitempty"`
	Method        string          `json:"method,omitempty"`
	Path          string          `json:"path,omitempty"`
	Protocol      string          `json:"protocol,omitempty"`
	Headers       json.RawMessage `json:"headers,omitempty"`
	TLSServerName string          `json:"tls_server_name,omitempty"`
	TLSSkipVerify bool            `json:"tls_skip_verify,omitempty"`
}

type check struct {
	serviceCheck
	Kind string `json:"kind,omitempty"`
}

type mount struct {
	Volume                 string `json:"volume"`
	Path                   string `json:"path"`
	Name                   string `json:"name,omitempty"`
	ExtendThresholdPercent int    `json:"extend_threshold_percent,omitempty"`
	AddSizeGB              int    `json:"add_size_gb,omitempty"`
	SizeGBLimit            int    `json:"size_gb_limit,omitempty"`
	Encrypted              bool   `json:"encrypted,omitempty"`
}

type restart struct {
	Policy      string  `json:"policy,omitempty"`
	MaxRetries  int     `json:"max_retries,omitempty"`
	GPUBidPrice float64 `json:"gpu_bid_price,omitempty"`
}

type stopConfig struct {
	Signal  string   `json:"signal,omitempty"`
	Timeout duration `json:"timeout,omitempty"`
}

type file struct {
	GuestPath  string `json:"guest_path"`
	RawValue   string `json:"raw_value,omitempty"`
	SecretName string `json:"secret_name,omitempty"`
	Mode       int    `json:"mode,omitempty"`
}

type createMachineBody struct {
	Config                  machineConfig `json:"config"`
	Name                    string        `json:"name,omitempty"`
	Region                  string        `json:"region,omitempty"`
	SkipLaunch              bool          `json:"skip_launch,omitempty"`
	SkipServiceRegistration bool          `json:"skip_service_registration,omitempty"`
	LeaseTTL                int           `json:"lease_ttl,omitempty"`
	LSVD                    bool          `json:"lsvd,omitempty"`
	SkipSecrets             bool          `json:"skip_secrets,omitempty"`
	MinSecretsVersion       *uint64       `json:"min_secrets_version,omitempty"`
}

type updateMachineBody struct {
	Config                  machineConfig `json:"config"`
	CurrentVersion          string        `json:"current_version,omitempty"`
	SkipLaunch              bool          `json:"skip_launch,omitempty"`
	LeaseTTL                int           `json:"lease_ttl,omitempty"`
	MinSecretsVersion       *uint64       `json:"min_secrets_version,omitempty"`
	SkipSecrets             bool          `json:"skip_secrets,omitempty"`
	SkipServiceRegistration bool          `json:"skip_service_registration,omitempty"`
	Name                    string        `json:"name,omitempty"`
	Region                  string        `json:"region,omitempty"`
}

type machineJSON struct {
	ID         string        `json:"id"`
	Name       string        `json:"name"`
	State      string        `json:"state"`
	Region     string        `json:"region"`
	InstanceID string        `json:"instance_id"`
	PrivateIP  string        `json:"private_ip"`
	CreatedAt  string        `json:"created_at"`
	UpdatedAt  string        `json:"updated_at"`
	Config     machineConfig `json:"config"`
	Events     []event       `json:"events"`
	HostStatus string        `json:"host_status"`
}

type event struct {
	Type      string     `json:"type"`
	Status    string     `json:"status"`
	Source    string     `json:"source"`
	Timestamp int64      `json:"timestamp"`
	Request   *eventBody `json:"request,omitempty"`
}

type eventBody struct {
	ExitEvent *exitEvent `json:"exit_event,omitempty"`
}

type exitEvent struct {
	ExitCode      int    `json:"exit_code"`
	OOMKilled     bool   `json:"oom_killed"`
	RequestedStop bool   `json:"requested_stop"`
	Restarting    bool   `json:"restarting"`
	Error         string `json:"error,omitempty"`
}

type createVolumeBody struct {
	Name              string          `json:"name"`
	Region            string          `json:"region"`
	SizeGB            int             `json:"size_gb,omitempty"`
	Encrypted         *bool           `json:"encrypted,omitempty"`
	RequireUniqueZone *bool           `json:"require_unique_zone,omitempty"`
	UniqueZoneAppWide bool            `json:"unique_zone_app_wide,omitempty"`
	SnapshotRetention int             `json:"snapshot_retention,omitempty"`
	AutoBackupEnabled *bool           `json:"auto_backup_enabled,omitempty"`
	FSType            string          `json:"fstype,omitempty"`
	SnapshotID        string          `json:"snapshot_id,omitempty"`
	SourceVolumeID    string          `json:"source_volume_id,omitempty"`
	Compute           *guest          `json:"compute,omitempty"`
	ComputeImage      string          `json:"compute_image,omitempty"`
	HostDedicationID  json.RawMessage `json:"host_dedication_id,omitempty"`
}

type volumeJSON struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	State             string  `json:"state"`
	Region            string  `json:"region"`
	Zone              string  `json:"zone"`
	SizeGB            int     `json:"size_gb"`
	Encrypted         bool    `json:"encrypted"`
	AttachedMachineID *string `json:"attached_machine_id"`
	CreatedAt         string  `json:"created_at"`
	SnapshotRetention int     `json:"snapshot_retention"`
}

type secretsBody struct {
	Values map[string]*string `json:"values"`
}

type secretJSON struct {
	Name      string `json:"name"`
	Digest    string `json:"digest"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

type ipBody struct {
	Type        string `json:"type"`
	Region      string `json:"region,omitempty"`
	OrgSlug     string `json:"org_slug,omitempty"`
	Network     string `json:"network,omitempty"`
	ServiceName string `json:"service_name,omitempty"`
}

type ipJSON struct {
	IP          string `json:"ip"`
	Region      string `json:"region"`
	ServiceName string `json:"service_name"`
	Shared      bool   `json:"shared"`
	CreatedAt   string `json:"created_at"`
}
