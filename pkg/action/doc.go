// Package action is the GitHub side of the container action: it parses the action's inputs,
// routes the triggering event to an Intent (deploy, destroy, stop, start, status, plan, reap, or
// a skip/reply/refusal with a reason), authorises ChatOps commands, and renders the job summary
// and the sticky pull-request comment from a View.
//
// The thin main in cmd/action wires it together (see Route, Authorize, ParseInputs, View,
// RenderSummary, RenderComment and WriteOutputs); nothing here reads the process environment.
package action
