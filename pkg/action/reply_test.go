package action

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

func TestReplyPermission(t *testing.T) {
	t.Parallel()
	for configured, want := range map[github.Permission]github.Permission{
		github.PermNone: github.PermRead, github.PermRead: github.PermRead, github.PermTriage: github.PermTriage,
		github.PermWrite: github.PermTriage, github.PermMaintain: github.PermTriage, github.PermAdmin: github.PermTriage,
	} {
		if got := ReplyPermission(configured); got != want {
			t.Errorf("ReplyPermission(%s) = %s, want %s", configured, got, want)
		}
	}
}

// commentEvent is the pr-help fixture with the comment's id, body and author replaced, on an
// open or closed pull request.
func commentEvent(t *testing.T, id int64, user, body, state string) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(readEvent(t, "events/issue_comment/pr-help.json"), &p); err != nil {
		t.Fatal(err)
	}
	c := p["comment"].(map[string]any)
	c["body"], c["id"] = body, id
	c["user"].(map[string]any)["login"] = user
	p["issue"].(map[string]any)["state"] = state
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestChatOpsBelowReplyThresholdGetsReactionsOnly: whatever a commenter below the reply
// threshold writes that is addressed to the bot, including lookalikes that count as the
// command (case, Unicode spaces), and however it ends (refused for permission, refused for a
// closed PR, help, malformed), the bot reacts and posts no comment; the workflow log says why.
// A triager gets the refusal as a reply.
func TestChatOpsBelowReplyThresholdGetsReactionsOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, perm, body, state string
		wantKind                Kind
		wantReply               bool
	}{
		{"stranger deploy", "", "/sindri deploy", "open", KindRefuse, false},
		{"reader deploy", "read", "/sindri deploy", "open", KindRefuse, false},
		{"reader status", "read", "/sindri status", "open", KindRefuse, false},
		{"stranger upper-case", "", "/SINDRI DEPLOY", "open", KindRefuse, false},
		{"stranger no-break space", "", "/sindri\u00a0deploy", "open", KindRefuse, false},
		{"stranger ideographic space", "", "/sindri\u3000destroy --force", "open", KindRefuse, false},
		{"stranger on a closed PR", "", "/sindri deploy", "closed", KindRefuse, false},
		{"reader on a closed PR", "read", "/Sindri start", "closed", KindRefuse, false},
		{"stranger help", "", "/SINDRI help", "open", KindReply, false},
		{"stranger malformed", "", "/sindri\u00a0deploy @org/team", "open", KindReply, false},
		{"triager deploy", "triage", "/sindri deploy", "open", KindRefuse, true},
		{"triager on a closed PR", "triage", "/sindri deploy", "closed", KindRefuse, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gh, fake := newGitHub(t)
			const user = "mallory"
			if tc.perm != "" {
				fake.SetPermission(user, tc.perm, tc.perm)
			}
			fake.AddPull(githubtest.PullRequest{Number: 1, State: tc.state, HeadSHA: prSHA, HeadRef: "x", HeadRepo: "Codertocat/Hello-World"})
			id := fake.AddComment(1, user, tc.body)
			in := defaultInputs(t)
			it, err := Route("issue_comment", commentEvent(t, id, user, tc.body, tc.state), in)
			if err != nil || it.ChatOps == nil {
				t.Fatalf("Route = %+v, %v; want a ChatOps intent", it, err)
			}
			if err := Acknowledge(t.Context(), gh, it); err != nil {
				t.Fatal(err)
			}
			if it, err = Authorize(t.Context(), gh, it, in); err != nil {
				t.Fatal(err)
			}
			expect(t, "kind", it.Kind, tc.wantKind)
			if err := Respond(t.Context(), gh, it, false); err != nil {
				t.Fatal(err)
			}
			posted := fake.Count(githubtest.RouteCreateComment)
			if got := posted > 0; got != tc.wantReply {
				t.Errorf("posted %d comments, want a reply: %v", posted, tc.wantReply)
			}
			if got := fake.Reactions(id); len(got) != 2 || got[0] != "eyes" {
				t.Errorf("reactions %v, want eyes and a final one", got)
			}
			why := Unanswered(it)
			if tc.wantReply {
				expect(t, "unanswered", why, "")
				return
			}
			if got := fake.Reactions(id); !slices.Equal(got, []string{"eyes", "-1"}) {
				t.Errorf("reactions %v, want [eyes -1]", got)
			}
			if !strings.Contains(why, "needs triage permission") {
				t.Errorf("Unanswered = %q, want the threshold named", why)
			}
		})
	}
}

// TestRespondWithoutAuthorizeNeverReplies: an intent whose commenter's permission was never
// read is answered with reactions only (fail closed).
func TestRespondWithoutAuthorizeNeverReplies(t *testing.T) {
	t.Parallel()
	gh, fake := newGitHub(t)
	id := fake.AddComment(1, "Codertocat", "/sindri deploy")
	in := defaultInputs(t)
	it, err := Route("issue_comment", commentEvent(t, id, "Codertocat", "/sindri deploy", "closed"), in)
	if err != nil || it.Kind != KindRefuse {
		t.Fatalf("Route = %v, %v; want a refusal", it.Kind, err)
	}
	if err := Respond(t.Context(), gh, it, false); err != nil {
		t.Fatal(err)
	}
	if n := fake.Count(githubtest.RouteCreateComment); n != 0 {
		t.Errorf("posted %d comments for an unauthorised intent", n)
	}
}
