package ocitest

import "github.com/sindri/deploy/v3/pkg/providers/vm/oci"

// settles maps each transitional lifecycle state to the state it settles into once its time
// is up (Options.Transition); a launch that fails settles PROVISIONING into TERMINATED
// instead.
var settles = map[string]string{
	oci.StateProvisioning: oci.StateRunning,
	oci.StateStarting:     oci.StateRunning,
	oci.StateStopping:     oci.StateStopped,
	oci.StateTerminating:  oci.StateTerminated,
}

// terminate is the verb of DELETE /instances/{id} in moves.
const terminate = "TERMINATE"

// moves is the instance state machine: for each action and current state, the state the
// instance enters; a missing entry is OCI's 409 IncorrectState. Asking for the state it is
// in, or going to, changes nothing.
var moves = map[string]map[string]string{
	oci.ActionStart: {
		oci.StateStopped: oci.StateStarting, oci.StateStarting: oci.StateStarting, oci.StateRunning: oci.StateRunning,
	},
	oci.ActionStop: {
		oci.StateRunning: oci.StateStopping, oci.StateStopping: oci.StateStopping, oci.StateStopped: oci.StateStopped,
	},
	oci.ActionSoftStop: {
		oci.StateRunning: oci.StateStopping, oci.StateStopping: oci.StateStopping, oci.StateStopped: oci.StateStopped,
	},
	terminate: {
		oci.StateProvisioning: oci.StateTerminating, oci.StateStarting: oci.StateTerminating,
		oci.StateRunning: oci.StateTerminating, oci.StateStopping: oci.StateTerminating,
		oci.StateStopped: oci.StateTerminating, oci.StateTerminating: oci.StateTerminating,
		oci.StateTerminated: oci.StateTerminated,
	},
}
