package devpod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
)

// setting names the executor setting that chooses the binary, for a not-found error.
const setting = `provider "devpod" { binary }`

// call is one devpod invocation.
type call struct {
	home    string
	backend *backend // nil: no credentials passed
	spec    *providers.Spec
	args    []string
	r       providers.Reporter
	stdout  *bytes.Buffer // data output (JSON), kept off the Reporter
}

// env is devpod's complete environment: nothing is inherited, so DEVPOD_FLAGS_* and the
// user's DEVPOD_HOME never reach it. HOME is a folder inside DEVPOD_HOME so that devpod
// touches no user's ~/.ssh or ~/.docker. The backend's credential variables come from the
// job's credentials first, then the executor's environment. It returns the secret values
// among them, for redaction.
func (p *Provider) env(c call) (env, secretValues []string) {
	env = []string{
		"PATH=" + p.cfg.PATH,
		"HOME=" + filepath.Join(c.home, "user"),
		"DEVPOD_HOME=" + c.home,
		"DEVPOD_DISABLE_TELEMETRY=true",
	}
	if c.backend == nil {
		return env, nil
	}
	for _, name := range c.backend.Credentials {
		v := credential(p.cfg.Getenv, c.spec, name)
		if v == "" {
			continue
		}
		env = append(env, name+"="+v)
		if slices.Contains(c.backend.Secret, name) {
			secretValues = append(secretValues, v)
		}
	}
	return env, secretValues
}

// credential reads name from the job's credentials, else the executor's environment.
func credential(getenv func(string) string, s *providers.Spec, name string) string {
	if s != nil {
		for _, c := range s.Credentials {
			if c.Name == name && c.Value != nil {
				return c.Value.Reveal()
			}
		}
	}
	return getenv(name)
}

// run runs devpod. Its lines stream to c.r (stdout lines too, unless c.stdout takes them):
// devpod prints its progress, and the reason of most failures, as info lines on stdout.
func (p *Provider) run(ctx context.Context, c call, extraSecrets ...string) error {
	env, secretValues := p.env(c)
	cmd := cli.Cmd{
		Path: p.cfg.Binary, Setting: setting, Provider: Name, Args: c.args, Env: env,
		Secrets: append(secretValues, extraSecrets...), Reporter: c.r, Classify: classify,
	}
	if c.stdout != nil {
		cmd.Stdout = c.stdout
	}
	if _, err := cli.Run(ctx, cmd); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	return nil
}

// errAgentLost is devpod losing the stream to its agent in the workspace ("run agent
// command: EOF"), seen under load after the workspace was set up: transient, and an `up` of
// the then existing workspace completes it.
var errAgentLost = fmt.Errorf("devpod lost the connection to its agent: %w", providers.ErrUnavailable)

// messages maps devpod's failure texts onto the sentinels. devpod exits 1 for every failure
// (log.Fatal), so its text is the only thing that tells them apart; this table is the one
// place it is read. Matched against the redacted tails of both streams, in order.
var messages = []struct {
	text string
	err  error
}{
	{"doesn't exist", providers.ErrNotFound},           // status of an unknown workspace id
	{"couldn't find workspace", providers.ErrNotFound}, // delete/stop of an unknown id
	{"is required, but no value provided", providers.ErrInvalidSpec},
	{"was specified but is not defined", providers.ErrInvalidSpec},
	{"run agent command: EOF", errAgentLost},
	{"Cannot connect to the Docker daemon", providers.ErrUnavailable},
	{"connection refused", providers.ErrUnavailable},
	{"i/o timeout", providers.ErrUnavailable},
}

// classify is the cli.Cmd Classify of every devpod call.
func classify(e *cli.ExitError) error {
	tail := e.Tail()
	for _, m := range messages {
		if strings.Contains(tail, m.text) {
			return m.err
		}
	}
	return nil
}

// wsState is a workspace's state as devpod reports it.
type wsState string

// devpod's states; absent is the exit-1 "doesn't exist" answer for an id devpod never knew.
const (
	wsAbsent   wsState = ""
	wsRunning  wsState = "Running"
	wsStopped  wsState = "Stopped"
	wsBusy     wsState = "Busy"
	wsNotFound wsState = "NotFound"
)

// status asks devpod for a workspace's state. An unknown id is wsAbsent with a nil error.
func (p *Provider) status(ctx context.Context, home, id string) (wsState, error) {
	var out bytes.Buffer
	err := p.run(ctx, call{home: home, args: []string{"status", id, "--output", "json"}, stdout: &out})
	if errors.Is(err, providers.ErrNotFound) {
		return wsAbsent, nil
	}
	if err != nil {
		return "", err
	}
	var st struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &st); err != nil {
		return "", fmt.Errorf("%s: devpod status %s: unreadable output: %w", Name, id, err)
	}
	return wsState(st.State), nil
}

// state maps devpod's states onto the contract's. NotFound (devpod knows the id but its
// container or VM is gone) is an error state: Deploy recreates it, Destroy removes it.
func (s wsState) state() providers.State {
	switch s {
	case wsAbsent:
		return providers.StateNotDeployed
	case wsRunning:
		return providers.StateRunning
	case wsStopped:
		return providers.StateStopped
	case wsBusy:
		return providers.StateCreating
	case wsNotFound:
		return providers.StateError
	}
	return providers.StateUnknown
}
