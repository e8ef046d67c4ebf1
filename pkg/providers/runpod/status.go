package runpod

import "github.com/sindri/deploy/v3/pkg/providers"

// podStatus is a pod's lifecycle status (REST v2 `status`; v1 had only `desiredStatus`, whose
// RUNNING, EXITED and TERMINATED are the same words).
type podStatus int

const (
	statusUnknown podStatus = iota
	statusProvisioning
	statusStarting
	statusRunning
	statusExited
	statusError
	statusTerminated
)

var statusNames = [...]string{
	statusUnknown:      "UNKNOWN",
	statusProvisioning: "PROVISIONING",
	statusStarting:     "STARTING",
	statusRunning:      "RUNNING",
	statusExited:       "EXITED",
	statusError:        "ERROR",
	statusTerminated:   "TERMINATED",
}

// String returns the platform's word.
func (s podStatus) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return "UNKNOWN"
	}
	return statusNames[s]
}

// parseStatus reads the platform's word; anything else is statusUnknown.
func parseStatus(v string) podStatus {
	for i, n := range statusNames {
		if n == v {
			return podStatus(i)
		}
	}
	return statusUnknown
}

// stateMap is the one table from pod status to environment state. RUNNING alone is not
// ready (readiness also needs the public address, see ready); a TERMINATED pod is gone.
var stateMap = map[podStatus]providers.State{
	statusUnknown:      providers.StateUnknown,
	statusProvisioning: providers.StateCreating,
	statusStarting:     providers.StateCreating,
	statusRunning:      providers.StateRunning,
	statusExited:       providers.StateStopped,
	statusError:        providers.StateError,
	statusTerminated:   providers.StateNotDeployed,
}

// gone reports whether the pod no longer exists as far as the environment is concerned.
func (p pod) gone() bool { return p.Status == statusTerminated }
