package action

import (
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Phase is where a job stands, as the summary and the sticky comment show it.
type Phase string

// Phases. Deploying and Destroying are in progress; the others are final.
const (
	PhaseDeploying  Phase = "deploying"
	PhaseReady      Phase = "ready"
	PhaseFailed     Phase = "failed"
	PhaseDestroying Phase = "destroying"
	PhaseDestroyed  Phase = "destroyed"
	PhaseStopped    Phase = "stopped"
	PhaseStarted    Phase = "started"
	PhasePlanned    Phase = "planned"
	PhaseStatus     Phase = "status"
	PhaseSuperseded Phase = "superseded"
)

// String implements fmt.Stringer.
func (p Phase) String() string { return string(p) }

// View is everything the job summary and the sticky comment show. The main maps bus events
// onto it; rendering never sees secrets except by mistake, and then the redactor removes them.
type View struct {
	Phase    Phase
	Kind     Kind   // the job kind
	Env      string // environment name
	Provider string
	Repo     string
	PR       int
	SHA      string
	Trigger  string
	Actor    string
	JobID    string
	// State is the provider's reported state (running, stopped, ...); StateUnknown hides it.
	State providers.State
	URL   string
	// Connect is the command that connects to the environment (ssh, devpod, kubectl ...).
	Connect string
	// Connection is everything the provider said about reaching the environment; the comment
	// shows it as the provider guide's way in for the provider (connect.go).
	Connection *providers.Connection
	// Warnings are the provider's words on what it did differently from what the config asks
	// (a fallback from suspend to stop, a sandbox that pauses at a set time).
	Warnings []string
	// RunURL links the workflow run (the deployment status log_url).
	RunURL string
	// Duration is how long the job took (zero while it runs).
	Duration time.Duration
	Plan     *providers.Plan
	// Images are what an image job reported: the image built, or those an image-list found.
	Images []providers.Image
	// Status is the provider's observed status, set by status jobs.
	Status *providers.Status
	// Error is the failure message.
	Error string
	// LogTail holds the last log lines, shown on failure.
	LogTail []string
	// Cost is the job's estimate and the environment's usage (nil: not priced); CostAt is
	// the time the cost so far is computed for, the time of writing.
	Cost   *cost.Report
	CostAt time.Time
	// IdleSince is set while the environment stands stopped by the executor's idle stop: the
	// time of its last push or command (zero: not idle-stopped).
	IdleSince time.Time
}

// Redactor removes secret values from text. Every rendered string passes through one.
type Redactor func(string) string

// NoRedaction is a Redactor that changes nothing, for tests and callers with no secrets.
func NoRedaction(s string) string { return s }

// DeploymentState maps a phase onto the GitHub deployment status it should leave.
func (p Phase) DeploymentState() github.DeploymentState {
	switch p {
	case PhaseReady, PhaseStarted, PhaseStatus:
		return github.StateSuccess
	case PhaseFailed:
		return github.StateFailure
	case PhaseDestroyed, PhaseStopped:
		return github.StateInactive
	}
	return github.StateInProgress
}

// GitHubUpdate returns the Reporter update for v: the deployment status (environment URL only
// while ready, description a one-line summary) and the rendered sticky comment. Plans and
// superseded jobs change neither the deployment nor the comment and return ok false.
func GitHubUpdate(v View, redact Redactor) (u github.Update, ok bool) {
	if v.Phase == PhasePlanned || v.Phase == PhaseSuperseded {
		return github.Update{}, false
	}
	st := github.DeploymentStatus{State: v.Phase.DeploymentState(), LogURL: redact(v.RunURL),
		Description: redact(fmt.Sprintf("%s: %s", v.Env, v.Phase))}
	if st.State == github.StateSuccess {
		st.EnvironmentURL = redact(v.URL)
	}
	return github.Update{Status: st, Comment: RenderComment(v, redact)}, true
}
