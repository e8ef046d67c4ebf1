package runner

import (
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestRunWarnsOnceWhenDockerEndsWithTheJob: a docker deploy by the embedded executor on a
// GitHub-hosted runner's engine gets one warning in the summary; the same deploy elsewhere, and
// a destroy there, get none.
func TestRunWarnsOnceWhenDockerEndsWithTheJob(t *testing.T) {
	t.Parallel()
	const note = "ends with this job"
	for _, tc := range []struct {
		name      string
		ephemeral bool
		kind      action.Kind
		want      int
	}{
		{"deploy on a github-hosted runner", true, action.KindDeploy, 1},
		{"deploy on a lasting host", false, action.KindDeploy, 0},
		{"destroy on a github-hosted runner", true, action.KindDestroy, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarnessWith(t, []providers.Provider{providertest.NewFake(providertest.WithName("docker"))})
			code := h.run(prIntent(tc.kind, "pull_request.opened"), func(r *Request) {
				r.Inputs.Provider = "docker"
				r.EphemeralDocker = tc.ephemeral
			})
			if code != ExitOK {
				t.Fatalf("exit %d\n%s", code, h.out.String())
			}
			if got := strings.Count(h.out.String(), note); got != tc.want {
				t.Errorf("%d warnings %q in the output, want %d:\n%s", got, note, tc.want, h.out.String())
			}
		})
	}
}
