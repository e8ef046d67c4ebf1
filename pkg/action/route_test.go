package action

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/chatops"
	"github.com/sindri/deploy/v3/pkg/github"
)

const (
	prSHA   = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	pushSHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
)

// want is the expected routing of one payload; reason is a substring of Intent.Reason.
type want struct {
	kind    Kind
	reason  string
	trigger string
	pr      int
	sha     string
	branch  string
	needsPR bool
	err     error
	check   func(t *testing.T, it Intent)
}

// routes maps every payload under testdata (shared fixtures and derived events) to its
// expected Intent, with default inputs. A payload missing here fails TestRouteFixtures.
var routes = map[string]want{
	"github-events/delete/payload.json":                              {kind: KindSkip, reason: `deleted tag "simple-tag"`},
	"github-events/issue_comment/created.1.payload.json":             {kind: KindSkip, reason: "comment on issue #1, not on a pull request"},
	"github-events/issue_comment/created.payload.json":               {kind: KindSkip, reason: "comment on issue #1, not on a pull request"},
	"github-events/issue_comment/deleted.payload.json":               {kind: KindSkip, reason: "issue_comment.deleted is ignored"},
	"github-events/issue_comment/edited.payload.json":                {kind: KindSkip, reason: "issue_comment.edited is ignored"},
	"github-events/pull_request/assigned.payload.json":               {kind: KindSkip, reason: "pull_request.assigned is not handled"},
	"github-events/pull_request/closed.payload.json":                 {kind: KindDestroy, trigger: "pull_request.closed", pr: 2, sha: prSHA, branch: "changes"},
	"github-events/pull_request/converted_to_draft.payload.json":     {kind: KindSkip, reason: "on-draft: ignore leaves its environment"},
	"github-events/pull_request/labeled.payload.json":                {kind: KindSkip, reason: "pull_request.labeled is not handled"},
	"github-events/pull_request/locked.payload.json":                 {kind: KindSkip, reason: "pull_request.locked is not handled"},
	"github-events/pull_request/opened.payload.json":                 {kind: KindDeploy, trigger: "pull_request.opened", pr: 2, sha: prSHA, branch: "changes"},
	"github-events/pull_request/opened.with-null-body.json":          {kind: KindDeploy, trigger: "pull_request.opened", pr: 2, sha: prSHA, branch: "changes"},
	"github-events/pull_request/ready_for_review.payload.json":       {kind: KindDeploy, trigger: "pull_request.ready_for_review", pr: 2, sha: prSHA},
	"github-events/pull_request/reopened.payload.json":               {kind: KindDeploy, trigger: "pull_request.reopened", pr: 2, sha: prSHA},
	"github-events/pull_request/review_request_removed.payload.json": {kind: KindSkip, reason: "pull_request.review_request_removed is not handled"},
	"github-events/pull_request/review_requested.payload.json":       {kind: KindSkip, reason: "pull_request.review_requested is not handled"},
	"github-events/pull_request/synchronize.payload.json":            {kind: KindDeploy, trigger: "pull_request.synchronize", pr: 2, sha: prSHA, branch: "changes"},
	"github-events/pull_request/unassigned.payload.json":             {kind: KindSkip, reason: "pull_request.unassigned is not handled"},
	"github-events/pull_request/unlabeled.payload.json":              {kind: KindSkip, reason: "pull_request.unlabeled is not handled"},
	"github-events/pull_request/unlocked.payload.json":               {kind: KindSkip, reason: "pull_request.unlocked is not handled"},
	"github-events/pull_request_review/dismissed.payload.json":       {kind: KindSkip, reason: `event "pull_request_review.dismissed" is not handled`},
	"github-events/pull_request_review/submitted.payload.json":       {kind: KindSkip, reason: `event "pull_request_review.submitted" is not handled`},
	"github-events/push/1.payload.json":                              {kind: KindSkip, reason: `push to "refs/tags/simple-tag" is not a branch`},
	"github-events/push/payload.json":                                {kind: KindSkip, reason: `push to "refs/tags/simple-tag" is not a branch`},
	"github-events/push/with-new-branch.payload.json":                {kind: KindDeploy, trigger: "push", sha: pushSHA, branch: "master"},
	"github-events/push/with-no-username-committer.payload.json":     {kind: KindDeploy, trigger: "push", sha: pushSHA, branch: "master"},
	"github-events/repository_dispatch/payload.json":                 {kind: KindSkip, reason: `event "repository_dispatch.on-demand-test" is not handled`},
	"github-events/workflow_dispatch/payload.json":                   {err: ErrNoCommand},

	"events/delete/branch.json":                         {kind: KindDestroy, trigger: "delete", branch: "feature-x"},
	"events/issue_comment/pr-bot.json":                  {kind: KindSkip, reason: "comment by bot sindri-bot[bot] is ignored"},
	"events/issue_comment/pr-closed-deploy.json":        {kind: KindRefuse, reason: "pull request #1 is closed"},
	"events/issue_comment/pr-closed-destroy.json":       {kind: KindDestroy, pr: 1, needsPR: true},
	"events/issue_comment/pr-deploy.json":               {kind: KindDeploy, trigger: "issue_comment.created", pr: 1, needsPR: true, check: checkChatOpsDeploy},
	"events/issue_comment/pr-destroy-force.json":        {kind: KindDestroy, pr: 1, needsPR: true, check: func(t *testing.T, it Intent) { expect(t, "force", it.Force, true) }},
	"events/issue_comment/pr-edited.json":               {kind: KindSkip, reason: "only new comments are commands"},
	"events/issue_comment/pr-fenced.json":               {kind: KindSkip, reason: "is not a /sindri command"},
	"events/issue_comment/pr-help.json":                 {kind: KindReply, check: checkHelp},
	"events/issue_comment/pr-quoted.json":               {kind: KindSkip, reason: "is not a /sindri command"},
	"events/issue_comment/pr-status.json":               {kind: KindStatus, pr: 1, needsPR: true},
	"events/issue_comment/pr-unknown-verb.json":         {kind: KindReply, check: checkUnknownVerb},
	"events/pull_request/deleted-fork-synchronize.json": {kind: KindRefuse, reason: "comes from a fork (a deleted repository)"},
	"events/pull_request/draft-opened.json":             {kind: KindSkip, reason: "is a draft; set on-draft: deploy"},
	"events/pull_request/draft-synchronize.json":        {kind: KindSkip, reason: "is a draft"},
	"events/pull_request/fork-closed.json":              {kind: KindDestroy, pr: 2, sha: prSHA},
	"events/pull_request/fork-opened.json":              {kind: KindRefuse, reason: "comes from a fork (forker/Hello-World); set allow-forks: true"},
	"events/push/branch-deleted.json":                   {kind: KindDestroy, branch: "feature-x", sha: ""},
	"events/push/branch.json":                           {kind: KindDeploy, branch: "feature-x", sha: pushSHA},
	"events/schedule/payload.json":                      {kind: KindReap, trigger: "schedule"},
	"events/workflow_dispatch/bad-command.json":         {err: ErrNoCommand},
	"events/workflow_dispatch/bad-pr.json":              {err: ErrPayload},
	"events/workflow_dispatch/destroy-pr.json":          {kind: KindDestroy, trigger: "workflow_dispatch", pr: 2, needsPR: true},
	"events/workflow_dispatch/plan-branch.json":         {kind: KindPlan, branch: "master"},
}

func expect[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func checkChatOpsDeploy(t *testing.T, it Intent) {
	t.Helper()
	if it.ChatOps == nil {
		t.Fatal("ChatOps is nil")
	}
	expect(t, "comment id", it.ChatOps.CommentID, int64(492700400))
	expect(t, "required", it.ChatOps.Required, github.PermWrite)
	expect(t, "provider", it.Provider, "fly")
	expect(t, "ttl", it.TTL, 48*time.Hour)
	expect(t, "actor", it.Actor, "Codertocat")
	expect(t, "ref", it.Ref, "refs/pull/1/head")
}

func checkHelp(t *testing.T, it Intent) {
	t.Helper()
	if it.ChatOps == nil || it.ChatOps.ReplyAt != github.PermTriage || !strings.Contains(it.Reply, "/sindri deploy") {
		t.Errorf("help intent = %+v", it)
	}
	expect(t, "reaction", ReactionFor(it, true), github.ReactionRocket)
}

func checkUnknownVerb(t *testing.T, it Intent) {
	t.Helper()
	if !strings.HasPrefix(it.Reply, "`/sindri`: unknown command `deplyo`") || it.ChatOps.ReplyAt != github.PermTriage || !strings.Contains(it.Reply, "| Command |") {
		t.Errorf("reply = %q", it.Reply)
	}
	expect(t, "reaction", ReactionFor(it, true), github.ReactionConfused)
}

func defaultInputs(t *testing.T) Inputs {
	t.Helper()
	in, err := parse(t, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestRouteFixtures(t *testing.T) {
	t.Parallel()
	in := defaultInputs(t)
	seen := map[string]bool{}
	for _, root := range []string{"testdata/github-events", "testdata/events"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
				return err
			}
			key := strings.TrimPrefix(filepath.ToSlash(path), "testdata/")
			seen[key] = true
			w, ok := routes[key]
			if !ok {
				t.Errorf("%s: no expected intent in the routing table", key)
				return nil
			}
			event := filepath.Base(filepath.Dir(path))
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			t.Run(key, func(t *testing.T) {
				t.Parallel()
				it, err := Route(event, raw, in)
				if w.err != nil {
					if !errors.Is(err, w.err) {
						t.Fatalf("err = %v, want %v", err, w.err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Route: %v", err)
				}
				expect(t, "kind", it.Kind, w.kind)
				if !strings.Contains(it.Reason, w.reason) {
					t.Errorf("reason = %q, want it to contain %q", it.Reason, w.reason)
				}
				if w.kind == KindSkip || w.kind == KindRefuse {
					if it.Reason == "" {
						t.Error("skip/refuse without a reason")
					}
				}
				if w.trigger != "" {
					expect(t, "trigger", it.Trigger, w.trigger)
				}
				if _, job := w.kind.Job(); job {
					if w.kind != KindReap {
						expect(t, "repo", it.Repo, it.Owner+"/"+it.Name)
						if it.Repo == "" {
							t.Error("empty repo")
						}
					}
					expect(t, "pr", it.PR, w.pr)
					expect(t, "sha", it.SHA, w.sha)
					expect(t, "needsPR", it.NeedsPR, w.needsPR)
					if w.branch != "" {
						expect(t, "branch", it.Branch, w.branch)
					}
				}
				if w.check != nil {
					w.check(t, it)
				}
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for key := range routes {
		if !seen[key] {
			t.Errorf("routing table names %s, which does not exist", key)
		}
	}
}

// TestFixtureCopyInSync checks testdata/github-events against the shared fixtures when the
// checkout sits next to them, so a fixture added there is not silently missed here.
func TestFixtureCopyInSync(t *testing.T) {
	t.Parallel()
	const shared = "../../../shared/fixtures/github-events"
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("shared fixtures not present at %s", shared)
	}
	err := filepath.WalkDir(shared, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(shared, path)
		a, _ := os.ReadFile(path)
		b, err := os.ReadFile(filepath.Join("testdata/github-events", rel))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("testdata/github-events/%s differs from or is missing against the shared fixture", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readEvent(t *testing.T, key string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", key))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRouteOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inputs map[string]string
		event  string
		file   string
		kind   Kind
	}{
		{"on-draft stop", map[string]string{"on-draft": "stop"}, "pull_request", "github-events/pull_request/converted_to_draft.payload.json", KindStop},
		{"on-draft destroy", map[string]string{"on-draft": "destroy"}, "pull_request", "github-events/pull_request/converted_to_draft.payload.json", KindDestroy},
		{"on-draft deploy keeps", map[string]string{"on-draft": "deploy"}, "pull_request", "github-events/pull_request/converted_to_draft.payload.json", KindSkip},
		{"on-draft deploy previews drafts", map[string]string{"on-draft": "deploy"}, "pull_request", "events/pull_request/draft-opened.json", KindDeploy},
		{"allow-forks", map[string]string{"allow-forks": "true"}, "pull_request", "events/pull_request/fork-opened.json", KindDeploy},
		{"pull_request_target fork refused", nil, "pull_request_target", "events/pull_request/fork-opened.json", KindRefuse},
		{"command overrides", map[string]string{"command": "plan"}, "pull_request", "github-events/pull_request/opened.payload.json", KindPlan},
		{"close wins over command", map[string]string{"command": "deploy"}, "pull_request", "github-events/pull_request/closed.payload.json", KindDestroy},
		{"command does not revive skips", map[string]string{"command": "deploy"}, "pull_request", "github-events/pull_request/labeled.payload.json", KindSkip},
		{"command does not override chatops", map[string]string{"command": "destroy"}, "issue_comment", "events/issue_comment/pr-status.json", KindStatus},
		{"dispatch with command input", map[string]string{"command": "deploy"}, "workflow_dispatch", "github-events/workflow_dispatch/payload.json", KindDeploy},
		{"custom prefix ignores default", map[string]string{"chatops-prefix": "/preview"}, "issue_comment", "events/issue_comment/pr-deploy.json", KindSkip},
		{"schedule reaps", nil, "schedule", "events/schedule/payload.json", KindReap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, err := parse(t, tt.inputs)
			if err != nil {
				t.Fatal(err)
			}
			it, err := Route(tt.event, readEvent(t, tt.file), in)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, "kind", it.Kind, tt.kind)
		})
	}
}

func TestRouteBadPayload(t *testing.T) {
	t.Parallel()
	in := defaultInputs(t)
	for _, tc := range []struct{ event, body string }{
		{"pull_request", "{"},
		{"pull_request", `{"action":"opened","repository":{"full_name":"a/b"}}`},
		{"issue_comment", `{"action":"created","repository":{"full_name":"a/b"}}`},
		{"push", `{"ref":"refs/heads/x"}`},
	} {
		if _, err := Route(tc.event, []byte(tc.body), in); !errors.Is(err, ErrPayload) {
			t.Errorf("Route(%s, %s) err = %v, want ErrPayload", tc.event, tc.body, err)
		}
	}
}

func TestKindJob(t *testing.T) {
	t.Parallel()
	for _, k := range []Kind{KindDeploy, KindDestroy, KindStop, KindStart, KindStatus, KindPlan, KindReap} {
		if j, ok := k.Job(); !ok || string(j) != string(k) {
			t.Errorf("%s.Job() = %v, %v", k, j, ok)
		}
	}
	for _, k := range []Kind{KindSkip, KindReply, KindRefuse} {
		if _, ok := k.Job(); ok {
			t.Errorf("%s.Job() reports a job", k)
		}
	}
	// Every chatops verb but help and connect is a job kind; connect routes to a status job.
	for _, v := range chatops.Verbs {
		if _, ok := Kind(v).Job(); ok == (v == chatops.VerbHelp || v == chatops.VerbConnect) {
			t.Errorf("verb %s: Job() = %v", v, ok)
		}
	}
	raw := strings.Replace(string(readEvent(t, "events/issue_comment/pr-status.json")), "/sindri status", "/sindri connect --provider fly", 1)
	it, err := Route("issue_comment", []byte(raw), Inputs{ChatOpsPrefix: chatops.DefaultPrefix})
	if err != nil || it.Kind != KindStatus || !it.Connects() || it.Provider != "fly" {
		t.Errorf("/sindri connect routes to %+v, %v; want a status job that connects, on fly", it, err)
	}
}
