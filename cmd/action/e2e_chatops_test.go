package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

// TestE2EChatOps drives the binary with issue_comment events: a deploy command from a triager
// is refused (reply, -1, no job), help is answered, and edited or deleted comments do nothing.
// (Below triage, the reply threshold, commenters get reactions only: e2e_hostile_test.go.)
func TestE2EChatOps(t *testing.T) {
	needHeavy(t)
	t.Parallel()

	t.Run("deploy refused without write permission", func(t *testing.T) {
		t.Parallel()
		r := newRepo(t, "")
		r.gh.AddPull(githubtest.PullRequest{Number: e2ePR, HeadSHA: shaOpened, HeadRef: "changes", HeadRepo: e2eOwner + "/" + e2eRepo})
		r.gh.SetPermission("mallory", "read", "triage")
		cmdID := r.gh.AddComment(e2ePR, "mallory", "/sindri deploy")

		res := r.invoke("issue_comment", commentPayload(t, "created", cmdID, "mallory", "/sindri deploy"), nil)
		if res.code != 0 {
			t.Errorf("exit %d, want 0 (a refusal is not a failure of the workflow)", res.code)
		}
		if errs := res.annotations("error"); len(errs) > 0 {
			t.Errorf("error annotations %q, want none", errs)
		}
		if w := res.annotations("warning"); len(w) != 1 || !strings.Contains(w[0], "needs write permission") {
			t.Errorf("warnings %q, want one saying the commenter needs write permission", w)
		}
		if res.outputs["job-id"] != "" || res.outputs["status"] != "refused" {
			t.Errorf("outputs job-id=%q status=%q, want no job and refused", res.outputs["job-id"], res.outputs["status"])
		}
		if strings.Contains(res.stdout, "::group::sindri") || strings.Contains(res.stdout, "accepted by") {
			t.Errorf("a job was followed:\n%s", res.stdout)
		}
		comments := r.gh.Comments(e2ePR)
		if len(comments) != 2 {
			t.Fatalf("%d comments on the PR, want the command and one reply", len(comments))
		}
		reply := comments[1]
		if !strings.Contains(reply.Body, "@mallory needs write permission") || strings.HasPrefix(reply.Body, "<!-- sindri:env=") {
			t.Errorf("reply %q, want a plain refusal naming the missing permission", reply.Body)
		}
		if got := r.gh.Reactions(cmdID); !slices.Equal(got, []string{"eyes", "-1"}) {
			t.Errorf("reactions on the command %v, want [eyes -1]", got)
		}
		if d := r.gh.Deployments(); len(d) != 0 {
			t.Errorf("deployments %+v, want none", d)
		}
		if left := leftovers(t, r.env()); len(left) > 0 {
			t.Errorf("refused command created %v", left)
		}
	})

	t.Run("help", func(t *testing.T) {
		t.Parallel()
		r := newRepo(t, "")
		r.gh.SetPermission("triager", "triage", "triage")
		cmdID := r.gh.AddComment(e2ePR, "triager", "/sindri help")
		res := r.invoke("issue_comment", commentPayload(t, "created", cmdID, "triager", "/sindri help"), nil)
		if res.code != 0 || len(res.annotations("error")) > 0 {
			t.Fatalf("exit %d, errors %q; want 0 and none", res.code, res.annotations("error"))
		}
		if res.outputs["job-id"] != "" || res.outputs["status"] != "skipped" {
			t.Errorf("outputs job-id=%q status=%q, want no job and skipped", res.outputs["job-id"], res.outputs["status"])
		}
		comments := r.gh.Comments(e2ePR)
		if len(comments) != 2 {
			t.Fatalf("%d comments, want the command and the help reply", len(comments))
		}
		for _, verb := range []string{"deploy", "destroy", "stop", "start", "status", "connect", "plan", "help"} {
			if !strings.Contains(comments[1].Body, "/sindri "+verb) {
				t.Errorf("help reply does not list /sindri %s:\n%s", verb, comments[1].Body)
			}
		}
		if got := r.gh.Reactions(cmdID); !slices.Equal(got, []string{"eyes", "rocket"}) {
			t.Errorf("reactions %v, want [eyes rocket]", got)
		}
		if n := r.gh.Count(githubtest.RoutePermission); n != 1 {
			t.Errorf("help read the commenter's permission %d times; want once", n)
		}
	})

	// Strangers get a reaction only: help and malformed commands post nothing.
	for _, body := range []string{"/sindri help", "/sindri @org/team"} {
		t.Run("stranger "+body, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t, "")
			cmdID := r.gh.AddComment(e2ePR, "stranger", body)
			res := r.invoke("issue_comment", commentPayload(t, "created", cmdID, "stranger", body), nil)
			if res.code != 0 || len(res.annotations("error")) > 0 {
				t.Fatalf("exit %d, errors %q; want 0 and none", res.code, res.annotations("error"))
			}
			if comments := r.gh.Comments(e2ePR); len(comments) != 1 {
				t.Errorf("%d comments, want only the command (no reply to a stranger)", len(comments))
			}
			if got := r.gh.Reactions(cmdID); !slices.Equal(got, []string{"eyes", "-1"}) {
				t.Errorf("reactions %v, want [eyes -1]", got)
			}
		})
	}

	for _, action := range []string{"edited", "deleted"} {
		t.Run(action+" comment", func(t *testing.T) {
			t.Parallel()
			r := newRepo(t, "")
			cmdID := r.gh.AddComment(e2ePR, e2eActor, "/sindri deploy")
			r.gh.ResetCounts()
			res := r.invoke("issue_comment", commentPayload(t, action, cmdID, e2eActor, "/sindri deploy"), nil)
			if res.code != 0 || len(res.annotations("error")) > 0 || len(res.annotations("warning")) > 0 {
				t.Errorf("exit %d, errors %q, warnings %q; want 0 and none", res.code, res.annotations("error"), res.annotations("warning"))
			}
			if n := res.annotations("notice"); len(n) != 1 || !strings.Contains(n[0], "issue_comment."+action) {
				t.Errorf("notices %q, want one naming issue_comment.%s", n, action)
			}
			if res.outputs["status"] != "skipped" || res.outputs["job-id"] != "" {
				t.Errorf("outputs status=%q job-id=%q, want skipped and no job", res.outputs["status"], res.outputs["job-id"])
			}
			if n := r.gh.Total(); n != 0 {
				t.Errorf("%d GitHub requests (%s), want none", n, requestLog(r.gh))
			}
			if len(r.gh.Comments(e2ePR)) != 1 || len(r.gh.Reactions(cmdID)) != 0 || len(r.gh.Deployments()) != 0 {
				t.Error("the event wrote to GitHub")
			}
		})
	}
}

// TestE2EChatOpsDeployDestroy runs `/sindri deploy`, `/sindri connect` and `/sindri destroy`
// from a writer: each is acknowledged (eyes) and closed with a rocket, the environment comes up
// and goes away, connect is answered with the docker exec command, and the PR keeps a single
// sticky comment next to the three commands and the reply.
func TestE2EChatOpsDeployDestroy(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	r := newRepo(t, "")
	r.gh.AddPull(githubtest.PullRequest{Number: e2ePR, HeadSHA: shaPushed, HeadRef: "changes", HeadRepo: e2eOwner + "/" + e2eRepo})
	r.gh.SetPermission(e2eActor, "write", "write")

	for _, step := range []struct{ verb, status string }{{"deploy", "ready"}, {"connect", ""}, {"destroy", "destroyed"}} {
		body := "/sindri " + step.verb
		id := r.gh.AddComment(e2ePR, e2eActor, body)
		// The requests each command costs (`make report` prints them), on a runner that
		// forgets its env records between runs, as the embedded default does.
		r.gh.ResetCounts()
		res := r.invoke("issue_comment", commentPayload(t, "created", id, e2eActor, body), nil)
		t.Logf("GitHub API, fresh runner, %s: %s", body, requestLog(r.gh))
		if step.verb == "connect" {
			// A status job answered with a reply holding the way in: docker exec, exactly.
			comments := r.gh.Comments(e2ePR)
			reply := comments[len(comments)-1].Body
			if res.code != 0 || !uuidRE.MatchString(res.outputs["job-id"]) || !strings.Contains(reply, "is running") ||
				!strings.Contains(reply, "docker exec -it") || !strings.Contains(reply, r.env()) {
				t.Errorf("%s: exit %d, job-id %q, reply:\n%s\nwant 0, a status job and the docker exec command of %s", body, res.code, res.outputs["job-id"], reply, r.env())
			}
			if got := r.gh.Reactions(id); !slices.Equal(got, []string{"eyes", "rocket"}) {
				t.Errorf("%s: reactions %v, want [eyes rocket]", body, got)
			}
			continue
		}
		if res.code != 0 || res.outputs["status"] != step.status || !uuidRE.MatchString(res.outputs["job-id"]) {
			t.Fatalf("%s: exit %d, status %q, job-id %q; want 0, %s and a job", body, res.code, res.outputs["status"], res.outputs["job-id"], step.status)
		}
		if got := r.gh.Reactions(id); !slices.Equal(got, []string{"eyes", "rocket"}) {
			t.Errorf("%s: reactions %v, want [eyes rocket]", body, got)
		}
		if step.verb == "deploy" {
			if code, _, err := httpGetReady(res.outputs["url"]); err != nil || code != 200 {
				t.Errorf("GET %q after %s: %d %v", res.outputs["url"], body, code, err)
			}
			if !strings.Contains(res.summary, shaPushed[:12]) {
				t.Errorf("the summary does not name the PR head %s read from the API:\n%s", shaPushed[:12], res.summary)
			}
		}
	}
	if n := len(r.stickyComments()); n != 1 {
		t.Errorf("%d sticky comments, want 1", n)
	}
	if n := len(r.gh.Comments(e2ePR)); n != 5 {
		t.Errorf("%d comments on the PR, want the three commands, the connect reply and the sticky comment", n)
	}
	if deps := r.gh.Deployments(); len(deps) != 1 || deps[0].Ref != shaPushed {
		t.Errorf("deployments %+v, want one for %s", deps, shaPushed)
	} else if sts := r.gh.Statuses(deps[0].ID); len(sts) == 0 || sts[len(sts)-1].State != "inactive" {
		t.Errorf("deployment statuses %+v, want the last inactive", sts)
	}
	if left := leftovers(t, r.env()); len(left) > 0 {
		t.Errorf("left in Docker after /sindri destroy: %v", left)
	}
}
