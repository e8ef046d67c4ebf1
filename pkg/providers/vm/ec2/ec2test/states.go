package ec2test

import "github.com/sindri/deploy/v3/pkg/providers/vm/ec2"

// stateCodes are EC2's instance state codes.
var stateCodes = map[string]int{
	ec2.StatePending: 0, ec2.StateRunning: 16, ec2.StateShuttingDown: 32,
	ec2.StateTerminated: 48, ec2.StateStopping: 64, ec2.StateStopped: 80,
}

// settles maps each transitional state to the state it settles into once its time is up
// (Options.Transition); a launch that fails settles pending into terminated instead.
var settles = map[string]string{
	ec2.StatePending:      ec2.StateRunning,
	ec2.StateStopping:     ec2.StateStopped,
	ec2.StateShuttingDown: ec2.StateTerminated,
}

// verb is a state-changing call.
type verb string

const (
	verbStop      verb = "StopInstances"
	verbStart     verb = "StartInstances"
	verbTerminate verb = "TerminateInstances"
)

// moves is the instance state machine: for each verb and current state, the state the
// instance enters; a missing entry is EC2's IncorrectInstanceState. Entering the state it
// is already in (or the one it is going to) changes nothing.
var moves = map[verb]map[string]string{
	verbStop: {
		ec2.StateRunning: ec2.StateStopping, ec2.StateStopping: ec2.StateStopping, ec2.StateStopped: ec2.StateStopped,
	},
	verbStart: {
		ec2.StateStopped: ec2.StatePending, ec2.StatePending: ec2.StatePending, ec2.StateRunning: ec2.StateRunning,
	},
	verbTerminate: {
		ec2.StatePending: ec2.StateShuttingDown, ec2.StateRunning: ec2.StateShuttingDown,
		ec2.StateStopping: ec2.StateShuttingDown, ec2.StateStopped: ec2.StateShuttingDown,
		ec2.StateShuttingDown: ec2.StateShuttingDown, ec2.StateTerminated: ec2.StateTerminated,
	},
}
