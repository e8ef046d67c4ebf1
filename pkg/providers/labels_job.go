package providers

// Label keys the executor adds to a Spec so that providers (and their fakes) can tell which job
// and which desired generation an operation belongs to. Providers may put LabelGeneration on
// what they create; LabelJobID changes on every job and is for bookkeeping only, never part of
// a resource's identity.
const (
	LabelGeneration = "sindri.dev/generation"
	LabelJobID      = "sindri.dev/job-id"
)
