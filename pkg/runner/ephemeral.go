package runner

import (
	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// ephemeralWarning is the summary note of a Docker environment that runs on the runner's own
// engine, on a GitHub-hosted runner, with the embedded executor (Request.EphemeralDocker): the
// machine is discarded when the job ends, and the environment with it. It is written once, for
// the jobs that leave an environment running; other jobs get "".
func ephemeralWarning(req Request, v action.View) string {
	if !req.EphemeralDocker || v.Provider != docker.Name {
		return ""
	}
	if v.Phase != action.PhaseReady && v.Phase != action.PhaseStarted {
		return ""
	}
	return "\n> [!WARNING]\n" +
		"> This environment runs on the GitHub-hosted runner's own Docker engine and **ends with this job**: " +
		"its URL stops answering when the job finishes. For previews reviewers can open, deploy from a " +
		"self-hosted runner, hand the job to an executor on a Docker host (`nats-url`), or use a cloud " +
		"provider; see docs/previews.md.\n"
}
