package northflanktest

// The rollout status machine of a deployment service (status.deployment.status, B4): a
// create, a patch, a resume or an attach starts a rollout in PENDING; each GET of the service
// after RolloutPolls GETs in a state takes the next step. A crashing image ends in FAILED.

// Rollout statuses, the platform's words.
const (
	Pending    = "PENDING"
	InProgress = "IN_PROGRESS"
	Completed  = "COMPLETED"
	Failed     = "FAILED"
)

// transitions is the one table of the machine: the next status from each status, for a
// healthy image and for a crashing one. COMPLETED and FAILED are final until a new rollout.
var transitions = map[string]struct{ healthy, crashing string }{
	Pending:    {InProgress, InProgress},
	InProgress: {Completed, Failed},
	Completed:  {Completed, Completed},
	Failed:     {Failed, Failed},
}

// next is the status after s.
func next(s string, crashing bool) string {
	t, ok := transitions[s]
	if !ok {
		return s
	}
	if crashing {
		return t.crashing
	}
	return t.healthy
}

// containerStatus is what GET …/containers shows in rollout status s.
func containerStatus(s string, crashing bool) string {
	switch {
	case crashing && (s == InProgress || s == Failed):
		return "TASK_FAILED"
	case s == Pending:
		return "TASK_STAGING"
	case s == InProgress:
		return "TASK_STARTING"
	}
	return "TASK_RUNNING"
}
