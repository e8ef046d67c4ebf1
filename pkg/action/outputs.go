package action

import (
	"encoding/json"
	"fmt"

	"github.com/sethvargo/go-githubactions"
)

// Outputs are the action's step outputs (see action.yml).
type Outputs struct {
	JobID       string
	Environment string
	Status      string // the final phase: ready, failed, destroyed, stopped, started, planned, status, superseded, skipped
	URL         string
	Connect     string
	// Plan is the provider plan as JSON (providers.Plan), set by plan jobs.
	Plan any
}

// OutputsFromView fills Outputs from the final View.
func OutputsFromView(v View) Outputs {
	o := Outputs{JobID: v.JobID, Environment: v.Env, Status: string(v.Phase), URL: v.URL, Connect: v.Connect}
	if v.Plan != nil {
		o.Plan = v.Plan
	}
	return o
}

// WriteOutputs sets every output through a (empty outputs are set too, so expressions never
// see a stale value), each redacted. It returns an error when the plan cannot be encoded.
func WriteOutputs(a *githubactions.Action, o Outputs, redact Redactor) error {
	plan := ""
	if o.Plan != nil {
		b, err := json.Marshal(o.Plan)
		if err != nil {
			return fmt.Errorf("output plan: %w", err)
		}
		plan = string(b)
	}
	for _, kv := range [][2]string{
		{"job-id", o.JobID}, {"environment", o.Environment}, {"status", o.Status},
		{"url", o.URL}, {"connect", o.Connect}, {"plan", plan},
	} {
		a.SetOutput(kv[0], redact(kv[1]))
	}
	return nil
}
