package northflank

import "github.com/sindri/deploy/v3/pkg/providers"

// deployStatus is a service's status.deployment.status (B4). Northflank has no "running"
// word: COMPLETED means rolled out and serving; a paused service is the separate
// servicePaused flag.
type deployStatus int

const (
	statusUnknown deployStatus = iota
	statusPending
	statusInProgress
	statusCompleted
	statusFailed
)

var statusNames = [...]string{
	statusUnknown:    "UNKNOWN",
	statusPending:    "PENDING",
	statusInProgress: "IN_PROGRESS",
	statusCompleted:  "COMPLETED",
	statusFailed:     "FAILED",
}

// String returns the platform's word.
func (s deployStatus) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return "UNKNOWN"
	}
	return statusNames[s]
}

// parseStatus reads the platform's word; anything else is statusUnknown.
func parseStatus(v string) deployStatus {
	for i, n := range statusNames {
		if n == v {
			return deployStatus(i)
		}
	}
	return statusUnknown
}

// stateMap is the one table from deployment status to environment state, for a service that
// is not paused; a paused service is StatePaused whatever its last rollout said.
var stateMap = map[deployStatus]providers.State{
	statusUnknown:    providers.StateUnknown,
	statusPending:    providers.StateCreating,
	statusInProgress: providers.StateCreating,
	statusCompleted:  providers.StateRunning,
	statusFailed:     providers.StateError,
}

// stateOf is a service's environment state.
func stateOf(s service) providers.State {
	if s.ServicePaused {
		return providers.StatePaused
	}
	return stateMap[parseStatus(s.Status.Deployment.Status)]
}

// Container states that mean the workload stopped as it started (list-service-containers).
var failedContainer = map[string]bool{"TASK_FAILED": true, "TASK_KILLED": true, "TASK_FINISHED": true}
