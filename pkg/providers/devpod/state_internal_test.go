package devpod

import (
	"errors"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
)

// TestStateMap walks every devpod state: stopped is never notdeployed, and an id devpod
// knows without its container or VM is an error, not absent.
func TestStateMap(t *testing.T) {
	t.Parallel()
	for st, want := range map[wsState]providers.State{
		wsAbsent: providers.StateNotDeployed, wsRunning: providers.StateRunning, wsStopped: providers.StateStopped,
		wsBusy: providers.StateCreating, wsNotFound: providers.StateError, "Weird": providers.StateUnknown,
	} {
		if got := st.state(); got != want {
			t.Errorf("%q.state() = %v, want %v", st, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		stdout, stderr string
		want           error
	}{
		{"", "fatal workspace pr-1 doesn't exist", providers.ErrNotFound},
		{"", "fatal option AWS_REGION is required, but no value provided", providers.ErrInvalidSpec},
		{"info devcontainer up: run agent command: EOF", "fatal run agent command: Process exited with status 1", errAgentLost},
		{"", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock", providers.ErrUnavailable},
		{"info lifecycle hooks: failed to run: x, error: exit status 3", "fatal run agent command: Process exited with status 1", nil},
	} {
		got := classify(&cli.ExitError{Stdout: []string{tc.stdout}, Stderr: []string{tc.stderr}})
		if !errors.Is(got, tc.want) || (tc.want == nil && got != nil) {
			t.Errorf("classify(%q, %q) = %v, want %v", tc.stdout, tc.stderr, got, tc.want)
		}
	}
	if !providers.IsRetryable(errAgentLost) {
		t.Errorf("a lost agent connection is not retryable")
	}
}

func TestWorkspaceID(t *testing.T) {
	t.Parallel()
	long := "pr-1234-feature-with-a-very-long-branch-name-that-goes-on"
	id := workspaceID(long)
	if len(id) > maxID || id == workspaceID(long+"x") || id[:30] != long[:30] {
		t.Errorf("workspaceID(%q) = %q: want at most %d chars, a prefix, distinct per name", long, id, maxID)
	}
	if workspaceID("pr-1") != "pr-1" {
		t.Errorf("a short name is changed")
	}
}
