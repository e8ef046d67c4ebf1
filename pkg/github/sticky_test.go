package github_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

func TestParseMarker(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		want       github.Sticky
		ok         bool
	}{
		{"current", "<!-- sindri:env=app-pr-1 deployment=42 closed=1 -->\n### Destroyed", github.Sticky{Env: "app-pr-1", DeploymentID: 42, Closed: true}, true},
		{"open", "<!-- sindri:env=app-pr-1 deployment=42 closed=0 -->\nx", github.Sticky{Env: "app-pr-1", DeploymentID: 42}, true},
		{"provider", "<!-- sindri:env=app-pr-1 deployment=42 closed=0 provider=docker -->\nx", github.Sticky{Env: "app-pr-1", DeploymentID: 42, Provider: "docker"}, true},
		{"bad provider", "<!-- sindri:env=e deployment=3 closed=0 provider=a<b -->", github.Sticky{}, false},
		{"earlier form", "<!-- sindri:env=app-pr-1 -->\n### Ready", github.Sticky{Env: "app-pr-1"}, true},
		{"crlf", "<!-- sindri:env=app-pr-1 deployment=7 closed=0 -->\r\nx", github.Sticky{Env: "app-pr-1", DeploymentID: 7}, true},
		{"unknown field kept readable", "<!-- sindri:env=e deployment=3 closed=0 generation=9 -->", github.Sticky{Env: "e", DeploymentID: 3}, true},
		{"field order free", "<!-- sindri:closed=1 env=e -->", github.Sticky{Env: "e", Closed: true}, true},
		{"no env", "<!-- sindri:deployment=3 closed=0 -->", github.Sticky{}, false},
		{"bad id", "<!-- sindri:env=e deployment=x closed=0 -->", github.Sticky{}, false},
		{"negative id", "<!-- sindri:env=e deployment=-3 closed=0 -->", github.Sticky{}, false},
		{"bad closed", "<!-- sindri:env=e deployment=3 closed=yes -->", github.Sticky{}, false},
		{"not first line", "hello\n<!-- sindri:env=e -->", github.Sticky{}, false},
		{"not ours", "<!-- other:env=e -->", github.Sticky{}, false},
		{"unterminated", "<!-- sindri:env=e", github.Sticky{}, false},
		{"plain", "/sindri deploy", github.Sticky{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := github.ParseMarker(tc.body)
			if ok != tc.ok || got != tc.want {
				t.Errorf("ParseMarker(%q) = %+v, %v; want %+v, %v", tc.body, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestMarkerRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []github.Sticky{{Env: "a"}, {Env: "app-pr-7", DeploymentID: 1 << 40}, {Env: "x--y", DeploymentID: 3, Closed: true}, {Env: "e", DeploymentID: 9, Provider: "docker"}} {
		m, err := github.Marker(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := github.ParseMarker(m + "\nbody"); !ok || got != s {
			t.Errorf("ParseMarker(Marker(%+v)) = %+v, %v", s, got, ok)
		}
	}
}

// TestFindStickyTrustsOnlyOurs: a marker forged by an outsider (who may comment on any public
// PR) is ignored, so it can neither close the environment nor point its statuses at another
// deployment; the search goes through every page.
func TestFindStickyTrustsOnlyOurs(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t)
	for i := range 130 {
		fake.AddComment(5, "bob", fmt.Sprintf("comment %d", i))
	}
	fake.AddComment(5, "mallory", "<!-- sindri:env=e5 deployment=1 closed=1 -->\nforged")
	fake.AddComment(5, "", "<!-- sindri:env=other deployment=2 closed=0 -->\nnot this env")
	ours := fake.AddComment(5, "", "<!-- sindri:env=e5 deployment=77 closed=0 -->\nours")
	got, ok, err := c.FindSticky(t.Context(), owner, repo, 5, "e5")
	if err != nil || !ok {
		t.Fatalf("FindSticky = %+v, %v, %v", got, ok, err)
	}
	if got.ID != ours || got.DeploymentID != 77 || got.Closed {
		t.Errorf("FindSticky = %+v, want comment %d with deployment 77, open", got, ours)
	}
	if n := fake.Count(githubtest.RouteListComments); n != 2 {
		t.Errorf("%d list requests, want 2 (131+ comments at 100 per page)", n)
	}

	// A collaborator's comment is trusted (a personal token writes as its user).
	fake.SetPermission("carol", "write", "write")
	carol := fake.AddComment(8, "carol", "<!-- sindri:env=e8 deployment=5 closed=1 -->\nby carol's token")
	if got, ok, err := c.FindSticky(t.Context(), owner, repo, 8, "e8"); err != nil || !ok || got.ID != carol || !got.Closed {
		t.Errorf("FindSticky(collaborator) = %+v, %v, %v; want comment %d, closed", got, ok, err, carol)
	}
	// Next to the bot's own comment, a collaborator's copy of the marker loses, even older.
	fake.AddComment(10, "carol", "<!-- sindri:env=e10 deployment=5 closed=1 -->\ncopied")
	bots := fake.AddComment(10, "", "<!-- sindri:env=e10 deployment=6 closed=0 -->\nours")
	if got, ok, err := c.FindSticky(t.Context(), owner, repo, 10, "e10"); err != nil || !ok || got.ID != bots || got.Closed || !got.ByBot {
		t.Errorf("FindSticky(bot and collaborator) = %+v, %v, %v; want the bot's comment %d", got, ok, err, bots)
	}
	if _, ok, err := c.FindSticky(t.Context(), owner, repo, 9, "e9"); ok || err != nil {
		t.Errorf("FindSticky on a PR without comments = %v, %v; want not found", ok, err)
	}
}

// TestLookupMakesSteadyStateFourRequests is the embedded runner's steady state seen from this
// package: nothing is remembered, one comment listing yields the comment and the deployment,
// and in_progress, the final status and the final comment edit follow.
func TestLookupMakesSteadyStateFourRequests(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t)
	r := &github.Reporter{Client: c, Comments: true, Deployments: true}
	first := &github.Target{Owner: owner, Repo: repo, PR: 4, Env: "e4", Ref: "sha1"}
	if _, ok, err := r.Lookup(t.Context(), first); err != nil || ok || !first.Searched {
		t.Fatalf("first Lookup ok=%v err=%v searched=%v; want a completed search finding nothing", ok, err, first.Searched)
	}
	if err := r.Report(t.Context(), first, github.Update{Status: github.DeploymentStatus{State: github.StateInProgress}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Report(t.Context(), first, github.Update{Status: github.DeploymentStatus{State: github.StateSuccess}, Comment: "Ready"}); err != nil {
		t.Fatal(err)
	}
	// Once to search, once after the create to find an overlapping run's duplicate.
	if n := fake.Count(githubtest.RouteListComments); n != 2 {
		t.Errorf("first event listed comments %d times, want twice (the search result is kept; one check after the create)", n)
	}
	t.Logf("first event: %d requests %v", fake.Total(), fake.Counts())

	fake.ResetCounts()
	next := &github.Target{Owner: owner, Repo: repo, PR: 4, Env: "e4", Ref: "sha2"}
	s, ok, err := r.Lookup(t.Context(), next)
	if err != nil || !ok || s.DeploymentID != first.DeploymentID || next.CommentID != first.CommentID {
		t.Fatalf("Lookup = %+v, %v, %v (target %+v); want the comment %d and deployment %d", s, ok, err, next, first.CommentID, first.DeploymentID)
	}
	if err := r.Report(t.Context(), next, github.Update{Status: github.DeploymentStatus{State: github.StateInProgress}}); err != nil {
		t.Fatal(err)
	}
	next.Closed = true
	if err := r.Report(t.Context(), next, github.Update{Status: github.DeploymentStatus{State: github.StateInactive}, Comment: "Destroyed"}); err != nil {
		t.Fatal(err)
	}
	if n := fake.Total(); n != 4 {
		t.Errorf("steady state used %d requests %v, want 4", n, fake.Counts())
	}
	if n := fake.Count(githubtest.RouteListDeployments); n != 0 {
		t.Errorf("listed deployments %d times; the marker names the deployment", n)
	}
	cs := fake.Comments(4)
	if len(cs) != 1 {
		t.Fatalf("%d comments, want 1", len(cs))
	}
	if got, _ := github.ParseMarker(cs[0].Body); !got.Closed || got.DeploymentID != first.DeploymentID {
		t.Errorf("marker after the closing report = %+v, want closed with deployment %d", got, first.DeploymentID)
	}
}

// TestLookupEarlierMarker: a comment written before markers carried ids is found and
// upgraded; the deployment is looked up by environment once.
func TestLookupEarlierMarker(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t)
	r := &github.Reporter{Client: c, Comments: true, Deployments: true}
	dep, err := c.EnsureDeployment(t.Context(), owner, repo, "e3", "sha", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	old := fake.AddComment(3, "", "<!-- sindri:env=e3 -->\nReady")
	fake.ResetCounts()
	tgt := &github.Target{Owner: owner, Repo: repo, PR: 3, Env: "e3", Ref: "sha"}
	if s, ok, err := r.Lookup(t.Context(), tgt); err != nil || !ok || s.DeploymentID != 0 || tgt.CommentID != old {
		t.Fatalf("Lookup = %+v, %v, %v; want the earlier comment without a deployment id", s, ok, err)
	}
	if err := r.Report(t.Context(), tgt, github.Update{Status: github.DeploymentStatus{State: github.StateSuccess}, Comment: "Ready again"}); err != nil {
		t.Fatal(err)
	}
	if tgt.DeploymentID != dep || len(fake.Deployments()) != 1 {
		t.Errorf("deployment %d (%d in all), want the existing %d", tgt.DeploymentID, len(fake.Deployments()), dep)
	}
	if got, _ := github.ParseMarker(fake.Comments(3)[0].Body); got.DeploymentID != dep {
		t.Errorf("marker after the report = %+v, want deployment %d", got, dep)
	}
}

// TestUpsertAfterSearchCreatesAtOnce: when the search already found nothing, the first write
// creates the comment without searching again; one listing follows the create (the duplicate
// check).
func TestUpsertAfterSearchCreatesAtOnce(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t)
	id, err := c.UpsertComment(t.Context(), &github.Target{Owner: owner, Repo: repo, PR: 6, Env: "e6", Searched: true}, "hi")
	if err != nil || id == 0 {
		t.Fatal(id, err)
	}
	if fake.Total() != 2 || fake.Count(githubtest.RouteCreateComment) != 1 || fake.Count(githubtest.RouteListComments) != 1 {
		t.Errorf("requests %v, want one create and one duplicate check", fake.Counts())
	}
}

// TestMarkerCarriesUsage: the marker keeps the cost usage; a cost value this version cannot
// read is ignored, and the rest of the marker still counts.
func TestMarkerCarriesUsage(t *testing.T) {
	t.Parallel()
	h := 0.5
	u := cost.Usage{RunningSeconds: 60, Phase: cost.PhaseRunning, Since: time.Unix(1796158800, 0).UTC(), Hourly: &h, Currency: "USD"}
	m, err := github.Marker(github.Sticky{Env: "e", DeploymentID: 3, Provider: "fly", Usage: &u})
	if err != nil {
		t.Fatal(err)
	}
	if want := "<!-- sindri:env=e deployment=3 closed=0 provider=fly cost=60,0,r,1796158800,0.5,- -->"; m != want {
		t.Fatalf("Marker = %q, want %q", m, want)
	}
	got, ok := github.ParseMarker(m + "\nbody")
	if !ok || got.Usage == nil || got.Usage.MarkerValue() != u.MarkerValue() || got.Provider != "fly" {
		t.Fatalf("ParseMarker = %+v %t, want the usage back", got, ok)
	}
	got, ok = github.ParseMarker("<!-- sindri:env=e deployment=3 closed=1 cost=future-format -->")
	if !ok || got.Usage != nil || !got.Closed {
		t.Fatalf("ParseMarker of an unreadable cost = %+v %t, want the marker without usage", got, ok)
	}
}
