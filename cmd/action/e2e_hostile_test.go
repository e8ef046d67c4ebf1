package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

// Hostile and careless inputs, through the action's real boundary: the binary (in process
// without SINDRI_HEAVY=1) against the strict GitHub fake. None of these cases reaches Docker.

// closedOn returns payload with the state set to closed.
func closedOn(t *testing.T, payload []byte) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(payload, &p); err != nil {
		t.Fatal(err)
	}
	p["issue"].(map[string]any)["state"] = "closed"
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestE2EStrangersGetReactionsOnly: a commenter below the reply threshold (no permission, or
// read with the default chatops-permission) cannot make the bot post, whatever they write that
// counts as a command (well-formed, upper-case, Unicode spaces, help, on a closed PR): the
// fake sees reactions (eyes, then -1) and no comment POST, and the workflow log has a warning.
func TestE2EStrangersGetReactionsOnly(t *testing.T) {
	if suite.heavy {
		needHeavy(t)
	}
	t.Parallel()
	for _, tc := range []struct {
		name, perm, body string
		closed           bool
		status           string
	}{
		{"no permission deploy", "", "/sindri deploy", false, "refused"},
		{"read deploy", "read", "/sindri deploy", false, "refused"},
		{"read status", "read", "/sindri status", false, "refused"},
		{"upper-case prefix", "", "/SINDRI deploy", false, "refused"},
		{"no-break space", "", "/sindri\u00a0deploy", false, "refused"},
		{"ideographic space and flag", "read", "/Sindri\u3000destroy --force", false, "refused"},
		{"closed pull request", "", "/sindri deploy", true, "refused"},
		{"help", "read", "/SINDRI\u00a0help", false, "skipped"},
		{"malformed", "", "/sindri deploy @org/team", false, "skipped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t, "")
			r.gh.AddPull(githubtest.PullRequest{Number: e2ePR, HeadSHA: shaOpened, HeadRef: "changes", HeadRepo: e2eOwner + "/" + e2eRepo})
			if tc.perm != "" {
				r.gh.SetPermission("mallory", tc.perm, tc.perm)
			}
			id := r.gh.AddComment(e2ePR, "mallory", tc.body)
			ev := commentPayload(t, "created", id, "mallory", tc.body)
			if tc.closed {
				ev = closedOn(t, ev)
			}
			res := r.invoke("issue_comment", ev, nil)
			if res.code != 0 || len(res.annotations("error")) > 0 {
				t.Fatalf("exit %d, errors %q; want 0 and none", res.code, res.annotations("error"))
			}
			if n := r.gh.Count(githubtest.RouteCreateComment); n != 0 {
				t.Errorf("the fake saw %d comment POSTs (%s), want none", n, requestLog(r.gh))
			}
			if got := r.gh.Reactions(id); !slices.Equal(got, []string{"eyes", "-1"}) {
				t.Errorf("reactions %v, want [eyes -1]", got)
			}
			warned := false
			for _, w := range res.annotations("warning") {
				warned = warned || strings.Contains(w, "needs triage permission")
			}
			if !warned {
				t.Errorf("warnings %q, want one saying a reply needs triage permission", res.annotations("warning"))
			}
			if res.outputs["status"] != tc.status || res.outputs["job-id"] != "" {
				t.Errorf("outputs status=%q job-id=%q, want %s and no job", res.outputs["status"], res.outputs["job-id"], tc.status)
			}
			if n := r.gh.Count(githubtest.RouteCreateDeployment); n != 0 {
				t.Errorf("%d deployments created", n)
			}
		})
	}
}

// TestE2ELookalikesAreNotCommands: text that only looks like a command to a reader (invisible
// format characters, fullwidth forms, letters of other scripts) is not ours, even from an
// admin: no request to GitHub at all, no reaction, a notice, exit 0.
func TestE2ELookalikesAreNotCommands(t *testing.T) {
	if suite.heavy {
		needHeavy(t)
	}
	t.Parallel()
	for _, body := range []string{
		"/sin\u200bdri deploy",
		"/sindri deploy\u200d",
		"\ufeff/sindri deploy",
		"/sindri \u202edeploy",
		"\uff0f\uff53\uff49\uff4e\uff44\uff52\uff49 deploy",
		"/s\u0456ndri deploy",
	} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t, "")
			r.gh.SetPermission("admin", "admin", "admin")
			id := r.gh.AddComment(e2ePR, "admin", body)
			r.gh.ResetCounts()
			res := r.invoke("issue_comment", commentPayload(t, "created", id, "admin", body), nil)
			if res.code != 0 || len(res.annotations("error")) > 0 || len(res.annotations("warning")) > 0 {
				t.Errorf("exit %d, errors %q, warnings %q; want 0 and none", res.code, res.annotations("error"), res.annotations("warning"))
			}
			if n := r.gh.Total(); n != 0 {
				t.Errorf("%d GitHub requests (%s), want none", n, requestLog(r.gh))
			}
			if res.outputs["status"] != "skipped" {
				t.Errorf("status %q, want skipped", res.outputs["status"])
			}
		})
	}
}

// TestE2EBooleanInputsStrict: every boolean input takes exactly true/True/TRUE/false/False/FALSE.
// Anything else ("TRUE " included, which used to mean true) stops the run before any request
// with one error naming the input. A labeled pull_request is used: it needs nothing but routing.
func TestE2EBooleanInputsStrict(t *testing.T) {
	if suite.heavy {
		needHeavy(t)
	}
	t.Parallel()
	labeled := func(t *testing.T) []byte {
		return payload(t, "pr-opened.payload.json", func(p map[string]any) { p["action"] = "labeled" })
	}
	for _, name := range []string{"wait", "comment", "deployment", "allow-forks", "dry-run"} {
		for _, v := range []string{"TRUE ", " false", "yes", "1", "True\n"} {
			t.Run(name+"="+v, func(t *testing.T) {
				t.Parallel()
				r := newRepo(t, "")
				res := r.invoke("pull_request", labeled(t), map[string]string{name: v})
				errs := res.annotations("error")
				if res.code != 1 || len(errs) != 1 || !strings.Contains(errs[0], `input "`+name+`"`) {
					t.Errorf("exit %d, errors %q; want 1 and one error naming input %q", res.code, errs, name)
				}
				if n := r.gh.Total(); n != 0 {
					t.Errorf("%d GitHub requests, want none", n)
				}
			})
		}
		t.Run(name+" strict spellings", func(t *testing.T) {
			t.Parallel()
			r := newRepo(t, "")
			for _, v := range []string{"TRUE", "False"} {
				if res := r.invoke("pull_request", labeled(t), map[string]string{name: v}); res.code != 0 || res.outputs["status"] != "skipped" {
					t.Errorf("%s=%q: exit %d, status %q; want 0 and skipped", name, v, res.code, res.outputs["status"])
				}
			}
		})
	}
}
