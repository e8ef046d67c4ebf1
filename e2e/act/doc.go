// Package act holds the end-to-end test of the published action: it runs the example pull
// request preview workflow (examples/workflows/pr-preview.yml) with the real act runner against
// a locally built action image, for pull_request opened and closed events, and checks the
// step outputs, the deployed environment and what was reported to a fake GitHub API.
//
// The package has no code of its own; the tests skip unless SINDRI_ACT=1 (see act_test.go).
package act
