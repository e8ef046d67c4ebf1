package alicloudtest

import "github.com/sindri/deploy/v3/pkg/providers/vm/alicloud"

// settles maps each transitional status to the status it settles into once its time is up
// (Options.Transition): a new instance goes Pending, Starting, Running; a launch that fails
// settles Starting into Stopped instead.
var settles = map[string]string{
	alicloud.StatusPending:  alicloud.StatusStarting,
	alicloud.StatusStarting: alicloud.StatusRunning,
	alicloud.StatusStopping: alicloud.StatusStopped,
}

// deleted is DeleteInstance's entry in moves: the instance is released (no longer listed).
const deleted = "Deleted"

// moves is the instance state machine: for each action and current status, the status the
// instance enters; a missing entry is ECS's IncorrectInstanceStatus. Asking for the status
// it is in, or going to, changes nothing.
var moves = map[string]map[string]string{
	"StopInstance": {
		alicloud.StatusRunning: alicloud.StatusStopping, alicloud.StatusStopping: alicloud.StatusStopping,
		alicloud.StatusStopped: alicloud.StatusStopped,
	},
	"StartInstance": {
		alicloud.StatusStopped: alicloud.StatusStarting, alicloud.StatusStarting: alicloud.StatusStarting,
		alicloud.StatusRunning: alicloud.StatusRunning,
	},
	// Force=true releases a running instance too; one in a transition cannot be released.
	"DeleteInstance": {
		alicloud.StatusRunning: deleted, alicloud.StatusStopped: deleted,
	},
}
