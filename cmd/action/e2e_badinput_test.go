package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

// badConfig has exactly one problem, the memory size at line 7, column 13.
const badConfig = `version: "3.0"
name: %s
deployment:
  provider: docker
  image: sindri-test/hello:1
  resources:
    memory: lots
extensions:
  profile: minimal
`

// TestE2EBadInputs checks that each kind of bad input gives exactly one clear ::error
// annotation and a non-zero exit, and that nothing was published: no container, no comment,
// no deployment, no job. Without SINDRI_HEAVY=1 it calls run in process and skips the Docker
// check; with it, it runs the binary.
func TestE2EBadInputs(t *testing.T) {
	if suite.heavy {
		needHeavy(t)
	}
	t.Parallel()
	for _, tc := range []struct {
		name   string
		inputs map[string]string
		setup  func(r *repoSim)
		// want is a fragment of the one error annotation: its properties and start of message.
		want []string
	}{
		{
			name:   "unknown command input",
			inputs: map[string]string{"command": "frobnicate"},
			want:   []string{"::error::", `input "command"`, `"frobnicate"`, "want one of auto, deploy"},
		},
		{
			name:   "missing config file",
			inputs: map[string]string{"config": "deploy/sindri.yaml"},
			want:   []string{"::error file=deploy/sindri.yaml::", "config file deploy/sindri.yaml not found"},
		},
		{
			name: "invalid config",
			setup: func(r *repoSim) {
				r.writeFile("sindri.yaml", strings.Replace(badConfig, "%s", r.name, 1))
			},
			want: []string{"::error ", "file=sindri.yaml", "line=7", "col=13", "::deployment.resources.memory: invalid size \"lots\""},
		},
		{
			name:   "unreachable NATS",
			inputs: map[string]string{"nats-url": "nats://127.0.0.1:1"},
			want:   []string{"::error::", "job bus:", "nothing was published"},
		},
		{
			name: "bad token",
			setup: func(r *repoSim) {
				for _, route := range []string{githubtest.RouteListDeployments, githubtest.RouteListComments,
					githubtest.RouteCreateDeployment, githubtest.RouteCreateComment, githubtest.RouteCreateStatus,
					githubtest.RouteEditComment, githubtest.RouteGetPull, githubtest.RoutePermission, githubtest.RouteCreateReaction} {
					r.gh.Inject(route, githubtest.Fault{Status: http.StatusUnauthorized}, githubtest.Fault{Status: http.StatusUnauthorized},
						githubtest.Fault{Status: http.StatusUnauthorized}, githubtest.Fault{Status: http.StatusUnauthorized})
				}
			},
			want: []string{"::error::", "github-token", "401", "nothing was published"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t, "")
			if tc.setup != nil {
				tc.setup(r)
			}
			res := r.invoke("pull_request", prPayload(t, "opened", shaOpened), tc.inputs)
			if res.code == 0 {
				t.Errorf("exit 0, want non-zero")
			}
			errs := res.annotations("error")
			if len(errs) != 1 {
				t.Fatalf("%d error annotations, want exactly 1:\n%s", len(errs), strings.Join(errs, "\n"))
			}
			for _, w := range tc.want {
				if !strings.Contains(errs[0], w) {
					t.Errorf("error annotation %q does not contain %q", errs[0], w)
				}
			}
			if strings.Contains(res.stdout, "::group::sindri") || res.outputs["job-id"] != "" {
				t.Errorf("a job was published (job-id %q):\n%s", res.outputs["job-id"], res.stdout)
			}
			if c := r.gh.Comments(e2ePR); len(c) != 0 {
				t.Errorf("comments %+v, want none", c)
			}
			if d := r.gh.Deployments(); len(d) != 0 {
				t.Errorf("deployments %+v, want none", d)
			}
			if r.inProcess {
				return
			}
			if left := leftovers(t, r.env()); len(left) > 0 {
				t.Errorf("created in Docker: %v", left)
			}
		})
	}
}
