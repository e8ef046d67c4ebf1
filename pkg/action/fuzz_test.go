package action

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/github"
)

// fuzzGitHub is the GitHub that FuzzRouteAuthorize authorises and answers against: every
// commenter has one permission, the pull request is or is not a fork and closed, and replies
// are counted instead of posted.
type fuzzGitHub struct {
	perm           github.Permission
	fork, closed   bool
	replies, reads int
}

func (g *fuzzGitHub) PullRequest(_ context.Context, owner, repo string, number int) (github.PullRequest, error) {
	pr := github.PullRequest{Number: number, State: "open", HeadSHA: prSHA, HeadRef: "feature", HeadRepo: owner + "/" + repo, BaseRepo: owner + "/" + repo}
	if g.fork {
		pr.HeadRepo = "evil/" + repo
	}
	if g.closed {
		pr.State = "closed"
	}
	return pr, nil
}

func (g *fuzzGitHub) Permission(context.Context, string, string, string) (github.Permission, error) {
	g.reads++
	return g.perm, nil
}

func (g *fuzzGitHub) React(context.Context, string, string, int64, github.Reaction) error {
	return nil
}

func (g *fuzzGitHub) Reply(context.Context, string, string, int, string) (int64, error) {
	g.replies++
	return 1, nil
}

// runsForkCode are the kinds that would run a pull request's code (or its configuration).
var runsForkCode = map[Kind]bool{KindDeploy: true, KindStart: true, KindStop: true, KindPlan: true}

// FuzzRouteAuthorize feeds arbitrary event payloads, seeded from the real ones in testdata,
// through Route, Authorize and Respond, with arbitrary inputs and commenter permission, and
// checks the invariants the threat model in docs/action.md promises:
//   - no panic, and Route fails only with ErrPayload or ErrNoCommand;
//   - a commenter below the reply threshold is never answered with a comment;
//   - a job from a comment needs the commenter to hold chatops-permission (and at least read),
//     and no comment event runs a job without ChatOps authorisation;
//   - a fork's pull request runs no fork code unless allow-forks is true.
func FuzzRouteAuthorize(f *testing.F) {
	for _, root := range []string{"testdata/github-events", "testdata/events"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
				return err
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			event := filepath.Base(filepath.Dir(path))
			// Commenters from none to admin, against chatops-permission write; forks and closed
			// pull requests with and without allow-forks.
			for _, perm := range []uint8{0, 1, 2, 3, 5} {
				for _, opts := range []uint8{0, 1, 2, 4} {
					f.Add(event, raw, perm, uint8(2), opts, uint8(0))
				}
			}
			return nil
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	comment, err := os.ReadFile("testdata/events/issue_comment/pr-deploy.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, body := range []string{"/SINDRI deploy", "/sindri\u00a0deploy --force", "/sindri\u200bdeploy", "/sindri help",
		"/sindri @org/team", "\uff0fsindri deploy", "/Sindri\u3000destroy", "/sindri stop"} {
		var p map[string]any
		if err := json.Unmarshal(comment, &p); err != nil {
			f.Fatal(err)
		}
		p["comment"].(map[string]any)["body"] = body
		raw, err := json.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add("issue_comment", raw, uint8(1), uint8(2), uint8(0), uint8(1))
	}

	f.Fuzz(func(t *testing.T, event string, raw []byte, commenter, configured, opts, command uint8) {
		gh := &fuzzGitHub{perm: github.Permission(commenter % 6), fork: opts&2 != 0, closed: opts&4 != 0}
		in := Inputs{
			Command: commands[int(command)%len(commands)], ChatOpsPrefix: "/sindri",
			ChatOpsPermission: github.Permission(1 + configured%5), // read..admin, as ParseInputs allows
			AllowForks:        opts&1 != 0,
			OnDraft:           []OnDraft{DraftIgnore, DraftStop, DraftDestroy, DraftDeploy}[opts>>3&3],
		}
		it, err := Route(event, raw, in)
		if err != nil {
			if !errors.Is(err, ErrPayload) && !errors.Is(err, ErrNoCommand) {
				t.Fatalf("Route: unexpected error %v", err)
			}
			return
		}
		got, err := Authorize(t.Context(), gh, it, in)
		if err != nil {
			t.Fatalf("Authorize: %v (the fake never fails)", err)
		}
		if err := Respond(t.Context(), gh, got, opts&64 != 0); err != nil {
			t.Fatalf("Respond: %v (the fake never fails)", err)
		}

		threshold := ReplyPermission(in.ChatOpsPermission)
		if gh.replies > 0 && (got.ChatOps == nil || !gh.perm.Reaches(threshold) || gh.perm < github.PermRead) {
			t.Fatalf("replied to @%s with %s permission (threshold %s): %+v", got.Actor, gh.perm, threshold, got)
		}
		if got.ChatOps != nil && got.ChatOps.MayReply() && !gh.perm.Reaches(threshold) {
			t.Fatalf("MayReply for %s below the threshold %s", gh.perm, threshold)
		}
		_, isJob := got.Kind.Job()
		if isJob && strings.HasPrefix(got.Trigger, "issue_comment") {
			if got.ChatOps == nil {
				t.Fatalf("a comment event runs %s without ChatOps authorisation: %+v", got.Kind, got)
			}
			if !gh.perm.Reaches(max(in.ChatOpsPermission, github.PermRead)) {
				t.Fatalf("%s ran %s with %s permission, needs %s", got.Actor, got.Kind, gh.perm, in.ChatOpsPermission)
			}
		}
		if in.AllowForks || !runsForkCode[got.Kind] {
			return
		}
		fork := false
		switch {
		case it.NeedsPR:
			fork = gh.fork
		case strings.HasPrefix(event, "pull_request"):
			var p payload
			if json.Unmarshal(raw, &p) == nil && p.PullRequest != nil {
				fork = isFork(p.PullRequest.Head.Repo, p.PullRequest.Base.Repo)
			}
		}
		if fork {
			t.Fatalf("a fork's pull request runs %s with allow-forks false: %+v", got.Kind, got)
		}
	})
}
