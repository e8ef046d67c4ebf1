package flytest

// Machine states (fly.md §3.12) and the transitions the fake makes between them, in one
// table that TestMachineTransitions walks.
const (
	stateCreated    = "created"
	stateStarting   = "starting"
	stateStarted    = "started"
	stateStopping   = "stopping"
	stateStopped    = "stopped"
	stateSuspending = "suspending"
	stateSuspended  = "suspended"
	stateReplacing  = "replacing"
	stateFailed     = "failed"
	stateDestroying = "destroying"
	stateDestroyed  = "destroyed"
)

// Transitions lists, for each machine state, the states the fake may move a machine to.
// started -> starting is a restart after the guest exited on its own (restart policy).
var Transitions = map[string][]string{
	stateCreated:    {stateStarting, stateDestroying},
	stateStarting:   {stateStarted, stateStopped, stateDestroying},
	stateStarted:    {stateStopping, stateSuspending, stateReplacing, stateStarting, stateStopped, stateDestroying},
	stateStopping:   {stateStopped, stateDestroying},
	stateStopped:    {stateStarting, stateReplacing, stateDestroying},
	stateSuspending: {stateSuspended, stateStarting, stateDestroying},
	stateSuspended:  {stateStarting, stateStopped, stateDestroying},
	stateReplacing:  {stateStarting, stateStopped},
	stateFailed:     {stateStarting, stateDestroying},
	stateDestroying: {stateDestroyed},
	stateDestroyed:  {},
}

// transientStates settle on their own; /wait?state=settled waits them out.
var transientStates = map[string]bool{stateStarting: true, stateStopping: true, stateSuspending: true,
	stateReplacing: true, stateDestroying: true}

// allowed reports whether the table allows from -> to.
func allowed(from, to string) bool {
	for _, s := range Transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Volume states the fake uses (fly.md §4): created, and the soft-deleted pending_destroy that
// lists keep showing.
const (
	volumeCreated        = "created"
	volumePendingDestroy = "pending_destroy"
)

// App states: pending until a machine first starts, then deployed.
const (
	appPending  = "pending"
	appDeployed = "deployed"
)
