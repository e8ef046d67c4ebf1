package fly

import (
	"encoding/json"
	"fmt"
)

// The Machines API shapes this provider reads and sends (shared/spec/provider-apis/fly.md §2-§5).
// Only the fields it uses are modelled; unknown response fields are ignored.

// app is an App (GET /v1/apps/{app}).
type app struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Status       string `json:"status"`
	Organization struct {
		Slug string `json:"slug"`
		Name string `json:"name"`
	} `json:"organization"`
}

// appList is GET /v1/apps?org_slug=.
type appList struct {
	TotalApps int   `json:"total_apps"`
	Apps      []app `json:"apps"`
}

// createAppRequest is POST /v1/apps. The current API names the field "name" (fly.md §2.1).
type createAppRequest struct {
	Name    string `json:"name"`
	OrgSlug string `json:"org_slug"`
}

// machine is a Machine (GET, list, create and update replies).
type machine struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	State      string         `json:"state"`
	Region     string         `json:"region"`
	InstanceID string         `json:"instance_id"`
	PrivateIP  string         `json:"private_ip,omitempty"`
	CreatedAt  string         `json:"created_at,omitempty"`
	UpdatedAt  string         `json:"updated_at,omitempty"`
	Config     machineConfig  `json:"config"`
	Events     []machineEvent `json:"events,omitempty"`
}

// machineConfig is the part of MachineConfig the provider sets. An update replaces the whole
// config, so every field Deploy wants is always sent.
type machineConfig struct {
	Image       string                  `json:"image"`
	Env         map[string]string       `json:"env,omitempty"`
	Init        machineInit             `json:"init"`
	Guest       machineGuest            `json:"guest"`
	Services    []machineService        `json:"services,omitempty"`
	Mounts      []machineMount          `json:"mounts,omitempty"`
	Files       []machineFile           `json:"files,omitempty"`
	Metadata    map[string]string       `json:"metadata,omitempty"`
	Restart     machineRestart          `json:"restart"`
	Checks      map[string]machineCheck `json:"checks,omitempty"`
	StopConfig  *stopConfig             `json:"stop_config,omitempty"`
	AutoDestroy bool                    `json:"auto_destroy"`
}

type machineInit struct {
	SwapSizeMB int `json:"swap_size_mb,omitempty"`
}

type machineGuest struct {
	CPUKind  string `json:"cpu_kind"`
	CPUs     int    `json:"cpus"`
	MemoryMB int    `json:"memory_mb"`
	GPUKind  string `json:"gpu_kind,omitempty"`
}

type machineService struct {
	Protocol           string         `json:"protocol"`
	InternalPort       int            `json:"internal_port"`
	Ports              []servicePort  `json:"ports"`
	Autostop           autostop       `json:"autostop"`
	Autostart          bool           `json:"autostart"`
	MinMachinesRunning int            `json:"min_machines_running"`
	Checks             []serviceCheck `json:"checks,omitempty"`
}

type servicePort struct {
	Port     int      `json:"port"`
	Handlers []string `json:"handlers,omitempty"`
}

type serviceCheck struct {
	Type        string `json:"type"`
	Interval    string `json:"interval,omitempty"`
	Timeout     string `json:"timeout,omitempty"`
	GracePeriod string `json:"grace_period,omitempty"`
}

type machineMount struct {
	Volume string `json:"volume"`
	Path   string `json:"path"`
	Name   string `json:"name,omitempty"`
}

type machineFile struct {
	GuestPath  string `json:"guest_path"`
	SecretName string `json:"secret_name"`
	Mode       int    `json:"mode,omitempty"`
}

type machineRestart struct {
	Policy     string `json:"policy"`
	MaxRetries int    `json:"max_retries,omitempty"`
}

type machineCheck struct {
	Type        string `json:"type"`
	Port        int    `json:"port"`
	Interval    string `json:"interval,omitempty"`
	Timeout     string `json:"timeout,omitempty"`
	GracePeriod string `json:"grace_period,omitempty"`
}

type stopConfig struct {
	Signal  string `json:"signal,omitempty"`
	Timeout string `json:"timeout,omitempty"`
}

// machineEvent is one of a machine's events, newest first. An "exit" event carries the
// guest's exit (fly.md §3.1; the request shape is fly-go's, UNVERIFIED against the server).
type machineEvent struct {
	Type      string        `json:"type"`
	Status    string        `json:"status"`
	Source    string        `json:"source,omitempty"`
	Timestamp int64         `json:"timestamp"`
	Request   *eventRequest `json:"request,omitempty"`
}

type eventRequest struct {
	ExitEvent *exitEvent `json:"exit_event,omitempty"`
}

type exitEvent struct {
	ExitCode      int    `json:"exit_code"`
	OOMKilled     bool   `json:"oom_killed"`
	RequestedStop bool   `json:"requested_stop"`
	Restarting    bool   `json:"restarting"`
	Error         string `json:"error,omitempty"`
}

// autostop is a service's autostop mode. The API takes "off", "stop" or "suspend" and answers
// false, true or "suspend" (fly.md §3.2).
type autostop string

const (
	autostopOff     autostop = "off"
	autostopStop    autostop = "stop"
	autostopSuspend autostop = "suspend"
)

// UnmarshalJSON reads both wire forms.
func (a *autostop) UnmarshalJSON(b []byte) error {
	var on bool
	if json.Unmarshal(b, &on) == nil {
		*a = map[bool]autostop{false: autostopOff, true: autostopStop}[on]
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("autostop: %s is neither a boolean nor a string", b)
	}
	*a = autostop(s)
	return nil
}

// createMachineRequest is POST /v1/apps/{app}/machines.
type createMachineRequest struct {
	Name              string        `json:"name,omitempty"`
	Region            string        `json:"region"`
	Config            machineConfig `json:"config"`
	MinSecretsVersion *uint64       `json:"min_secrets_version,omitempty"`
}

// updateMachineRequest is POST /v1/apps/{app}/machines/{id}: the whole config.
type updateMachineRequest struct {
	Config            machineConfig `json:"config"`
	MinSecretsVersion *uint64       `json:"min_secrets_version,omitempty"`
}

// volume is a Volume.
type volume struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	State             string `json:"state"`
	Region            string `json:"region"`
	SizeGB            int    `json:"size_gb"`
	AttachedMachineID string `json:"attached_machine_id,omitempty"`
}

// createVolumeRequest is POST /v1/apps/{app}/volumes. Compute is the guest hint that makes Fly
// place the volume on a host the machine fits on (fly.md §4).
type createVolumeRequest struct {
	Name              string        `json:"name"`
	Region            string        `json:"region"`
	SizeGB            int           `json:"size_gb"`
	SnapshotRetention int           `json:"snapshot_retention,omitempty"`
	Compute           *machineGuest `json:"compute,omitempty"`
}

// softDeleted are the volume states of a deleted volume that lists still show (fly-go filters
// the same ones; fly.md §4).
var softDeleted = map[string]bool{
	"scheduling_destroy": true, "fork_cleanup": true, "waiting_for_detach": true,
	"pending_destroy": true, "destroying": true, "destroyed": true,
}

// secretsRequest is POST /v1/apps/{app}/secrets: a nil value unsets the name.
type secretsRequest struct {
	Values map[string]*string `json:"values"`
}

// secretsReply is the reply of a bulk set and of GET /v1/apps/{app}/secrets.
type secretsReply struct {
	Secrets []appSecret `json:"secrets"`
	Version uint64      `json:"version"`
}

type appSecret struct {
	Name   string `json:"name"`
	Digest string `json:"digest,omitempty"`
}

// ipAssignment is one of an app's public addresses.
type ipAssignment struct {
	IP          string `json:"ip"`
	Region      string `json:"region,omitempty"`
	ServiceName string `json:"service_name,omitempty"`
	Shared      bool   `json:"shared"`
}

type ipAssignments struct {
	IPs []ipAssignment `json:"ips"`
}

type allocateIPRequest struct {
	Type string `json:"type"`
}

// lease is the wrapped lease reply (fly.md §3.10).
type lease struct {
	Status string `json:"status"`
	Data   struct {
		Nonce     string `json:"nonce"`
		ExpiresAt int64  `json:"expires_at"`
		Owner     string `json:"owner"`
	} `json:"data"`
}

// execRequest is POST /v1/apps/{app}/machines/{id}/exec (MachineExecRequest): the argv in
// command (the string cmd is deprecated) and the bound on the command in whole seconds. The
// request's container, stdin and machine fields are not used: the command gets no input.
type execRequest struct {
	Command []string `json:"command"`
	Timeout int      `json:"timeout"`
}

// execResponse is the exec reply (flydv1.ExecResponse), HTTP 200 whatever the command's
// outcome; each field is left out when it is zero or empty.
type execResponse struct {
	Stdout     string `json:"stdout,omitempty"`
	Stderr     string `json:"stderr,omitempty"`
	ExitCode   int    `json:"exit_code,omitempty"`
	ExitSignal int    `json:"exit_signal,omitempty"`
}
