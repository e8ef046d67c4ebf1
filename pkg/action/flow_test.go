package action

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// TestChatOpsFlow drives the GitHub side of a ChatOps deploy end to end against the fake, the
// way cmd/action wires it: route, acknowledge, authorise, report deploying and ready, respond.
func TestChatOpsFlow(t *testing.T) {
	t.Parallel()
	fake := githubtest.New(t, "Codertocat", "Hello-World", "ghs_flow")
	gh, err := github.New("ghs_flow", github.WithBaseURL(fake.URL), github.WithRedactor(redactCanary))
	if err != nil {
		t.Fatal(err)
	}
	in := defaultInputs(t)
	raw := readEvent(t, "events/issue_comment/pr-deploy.json")
	// The fake assigns its own ids; seed the command comment and point the payload at it.
	cmdID := fake.AddComment(1, "Codertocat", "/sindri deploy --provider fly --ttl 48h")
	fake.SetPermission("Codertocat", "write", "write")
	fake.AddPull(githubtest.PullRequest{Number: 1, HeadSHA: prSHA, HeadRef: "changes", HeadRepo: "Codertocat/Hello-World"})
	ctx := t.Context()

	it, err := Route("issue_comment", raw, in)
	if err != nil {
		t.Fatal(err)
	}
	it.ChatOps.CommentID = cmdID
	if err := Acknowledge(ctx, gh, it); err != nil {
		t.Fatal(err)
	}
	if it, err = Authorize(ctx, gh, it, in); err != nil || it.Kind != KindDeploy {
		t.Fatalf("Authorize = %v, %v", it.Kind, err)
	}

	rep := &github.Reporter{Client: gh, Comments: in.Comment, Deployments: in.Deployment}
	tgt := &github.Target{Owner: it.Owner, Repo: it.Name, PR: it.PR, Env: "hello-world-pr-1", Ref: it.SHA}
	v := View{Phase: PhaseDeploying, Kind: it.Kind, Env: tgt.Env, Provider: it.Provider, PR: it.PR, SHA: it.SHA, Trigger: it.Trigger, Actor: it.Actor}
	before := fake.Total()
	for _, step := range []func(*View){
		func(v *View) {},
		func(v *View) {
			v.Phase, v.State, v.URL, v.Duration = PhaseReady, providers.StateRunning, "https://hello-world-pr-1.fly.dev/?k="+canary, time.Minute
		},
	} {
		step(&v)
		u, ok := GitHubUpdate(v, redactCanary)
		if !ok {
			t.Fatal("no update")
		}
		if err := rep.Report(ctx, tgt, u); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("first deploy of an environment: %d requests (discovery included); per route %v", fake.Total()-before, fake.Counts())
	if err := Respond(ctx, gh, it, true); err != nil {
		t.Fatal(err)
	}
	if got := fake.Reactions(cmdID); !slices.Equal(got, []string{"eyes", "rocket"}) {
		t.Errorf("reactions = %v, want [eyes rocket]", got)
	}
	comments := fake.Comments(1)
	if m, ok := github.ParseMarker(comments[len(comments)-1].Body); len(comments) != 2 || !ok || m.Env != "hello-world-pr-1" {
		t.Fatalf("comments = %+v, want the command and one sticky comment", comments)
	}
	for _, c := range comments {
		if strings.Contains(c.Body, canary) {
			t.Error("sticky comment leaks the canary")
		}
	}
	d := fake.Deployments()
	if len(d) != 1 || d[0].Ref != prSHA {
		t.Fatalf("deployments = %+v", d)
	}
	if st := fake.Statuses(d[0].ID); len(st) != 2 || st[1].State != "success" || strings.Contains(st[1].EnvironmentURL, canary) {
		t.Errorf("statuses = %+v", st)
	}
}

func TestChatOpsRefusalReplies(t *testing.T) {
	t.Parallel()
	fake := githubtest.New(t, "Codertocat", "Hello-World", "ghs_flow")
	gh, err := github.New("ghs_flow", github.WithBaseURL(fake.URL))
	if err != nil {
		t.Fatal(err)
	}
	in := defaultInputs(t)
	cmdID := fake.AddComment(1, "Codertocat", "/sindri destroy")
	// A triager is answered (the reply threshold) but may not destroy.
	fake.SetPermission("Codertocat", "read", "triage")
	it, err := Route("issue_comment", readEvent(t, "events/issue_comment/pr-destroy-force.json"), in)
	if err != nil {
		t.Fatal(err)
	}
	it.ChatOps.CommentID = cmdID
	if err := Acknowledge(t.Context(), gh, it); err != nil {
		t.Fatal(err)
	}
	it, err = Authorize(t.Context(), gh, it, in)
	if err != nil || it.Kind != KindRefuse {
		t.Fatalf("Authorize = %v, %v; want refuse", it.Kind, err)
	}
	if err := Respond(t.Context(), gh, it, false); err != nil {
		t.Fatal(err)
	}
	if got := fake.Reactions(cmdID); !slices.Equal(got, []string{"eyes", "-1"}) {
		t.Errorf("reactions = %v, want [eyes -1]", got)
	}
	cs := fake.Comments(1)
	if len(cs) != 2 || !strings.Contains(cs[1].Body, "needs write permission") {
		t.Errorf("reply = %+v", cs)
	}
	if fake.Count(githubtest.RouteGetPull) != 0 || len(fake.Deployments()) != 0 {
		t.Error("a refused command read the PR or touched deployments")
	}
}

// TestChatOpsRepliesOnlyToPermitted: help and answers to malformed commands are posted only for
// commenters at the reply threshold (triage with the default chatops-permission), as Authorize
// read it; anyone else gets a reaction and no comment, and a reply never carries the
// commenter's text outside a code span.
func TestChatOpsRepliesOnlyToPermitted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, user, perm, body string
		wantReply              bool
		wantReaction           string
	}{
		{"help from a stranger", "stranger", "", "/sindri help", false, "-1"},
		{"help from a reader", "reader", "read", "/sindri", false, "-1"},
		{"help from a triager", "triager", "triage", "/sindri help", true, "rocket"},
		{"malformed from a stranger", "stranger", "", "/sindri @org/team", false, "-1"},
		{"malformed from a reader", "reader", "read", "/sindri deploy @org/team", false, "-1"},
		{"malformed from a triager", "triager", "triage", "/sindri deploy @org/team", true, "confused"},
		{"malformed from a writer", "writer", "write", "/sindri @org/team [x](https://evil.example)", true, "confused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := githubtest.New(t, "Codertocat", "Hello-World", "ghs_flow")
			gh, err := github.New("ghs_flow", github.WithBaseURL(fake.URL))
			if err != nil {
				t.Fatal(err)
			}
			if tc.perm != "" {
				fake.SetPermission(tc.user, tc.perm, tc.perm)
			}
			cmdID := fake.AddComment(1, tc.user, tc.body)
			in := defaultInputs(t)
			it, err := Route("issue_comment", commentEvent(t, cmdID, tc.user, tc.body, "open"), in)
			if err != nil || it.Kind != KindReply {
				t.Fatalf("Route = %v, %v; want a reply", it.Kind, err)
			}
			if it, err = Authorize(t.Context(), gh, it, in); err != nil || it.Kind != KindReply {
				t.Fatalf("Authorize = %v, %v; want a reply", it.Kind, err)
			}
			if err := Respond(t.Context(), gh, it, true); err != nil {
				t.Fatal(err)
			}
			comments := fake.Comments(1)
			if got := len(comments) == 2; got != tc.wantReply {
				t.Fatalf("replied = %v, want %v (comments %+v)", got, tc.wantReply, comments)
			}
			if got := fake.Reactions(cmdID); !slices.Equal(got, []string{tc.wantReaction}) {
				t.Errorf("reactions = %v, want [%s]", got, tc.wantReaction)
			}
			if tc.wantReply {
				body := comments[1].Body
				if outside := strings.ReplaceAll(body, "`@org/team`", ""); strings.Contains(outside, "@org") {
					t.Errorf("reply mentions the team outside a code span:\n%s", body)
				}
			}
		})
	}
}
