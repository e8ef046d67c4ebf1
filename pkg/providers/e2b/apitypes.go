package e2b

import "time"

// The wire shapes of the E2B REST API (shared/spec/provider-apis/e2b-devpod.md §2-§3). Times
// are seconds on the wire; field names are the API's, snake_case where it is.

// newSandbox is the create body (NewSandbox). timeout and autoPause are always sent: the
// server's defaults are 15 seconds and kill.
type newSandbox struct {
	TemplateID          string            `json:"templateID"`
	Timeout             int               `json:"timeout"`
	AutoPause           bool              `json:"autoPause"`
	AutoResume          *autoResume       `json:"autoResume,omitempty"`
	Secure              bool              `json:"secure"`
	AllowInternetAccess *bool             `json:"allow_internet_access,omitempty"`
	Network             *network          `json:"network,omitempty"`
	Metadata            map[string]string `json:"metadata"`
	EnvVars             map[string]string `json:"envVars,omitempty"`
}

type autoResume struct {
	Enabled bool `json:"enabled"`
}

type network struct {
	AllowPublicTraffic *bool    `json:"allowPublicTraffic,omitempty"`
	AllowOut           []string `json:"allowOut,omitempty"`
	DenyOut            []string `json:"denyOut,omitempty"`
}

// createdSandbox is the slim Sandbox answer of create, connect and resume.
type createdSandbox struct {
	TemplateID string  `json:"templateID"`
	SandboxID  string  `json:"sandboxID"`
	Domain     *string `json:"domain"`
}

// sandbox is SandboxDetail (GET /sandboxes/{id}) or ListedSandbox (/v2/sandboxes, which has
// no lifecycle and no domain).
type sandbox struct {
	TemplateID string            `json:"templateID"`
	Alias      string            `json:"alias"`
	SandboxID  string            `json:"sandboxID"`
	StartedAt  time.Time         `json:"startedAt"`
	EndAt      time.Time         `json:"endAt"`
	CPUCount   int               `json:"cpuCount"`
	MemoryMB   int               `json:"memoryMB"`
	State      string            `json:"state"`
	Metadata   map[string]string `json:"metadata"`
	Domain     *string           `json:"domain"`
	// EnvdVersion is the in-sandbox agent's version; GET only.
	EnvdVersion string `json:"envdVersion"`
	// EnvdAccessToken is envd's X-Access-Token for a secure sandbox; GET only. It is a
	// secret: never logged nor put in an error.
	EnvdAccessToken string   `json:"envdAccessToken"`
	Network         *network `json:"network"`
	Lifecycle       *struct {
		AutoResume bool   `json:"autoResume"`
		OnTimeout  string `json:"onTimeout"`
	} `json:"lifecycle"`
}

// template is one entry of GET /v2/templates.
type template struct {
	TemplateID  string   `json:"templateID"`
	BuildID     string   `json:"buildID"`
	Names       []string `json:"names"`
	Aliases     []string `json:"aliases"`
	BuildStatus string   `json:"buildStatus"`
	CPUCount    int      `json:"cpuCount"`
	MemoryMB    int      `json:"memoryMB"`
}

// buildRequest is POST /v3/templates.
type buildRequest struct {
	Name     string `json:"name"`
	CPUCount int    `json:"cpuCount"`
	MemoryMB int    `json:"memoryMB"`
}

type buildIDs struct {
	TemplateID string `json:"templateID"`
	BuildID    string `json:"buildID"`
}

// buildStart is TemplateBuildStartV2: a build from an image, with no steps.
type buildStart struct {
	FromImage         string        `json:"fromImage"`
	FromImageRegistry *registryAuth `json:"fromImageRegistry,omitempty"`
	Steps             []any         `json:"steps"`
	Force             bool          `json:"force"`
}

type registryAuth struct {
	Type     string `json:"type"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// buildInfo is TemplateBuildInfo.
type buildInfo struct {
	Status     string `json:"status"`
	LogEntries []struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	} `json:"logEntries"`
	Reason *struct {
		Message string `json:"message"`
	} `json:"reason"`
}
