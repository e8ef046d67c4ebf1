package github_test

import (
	"encoding/json"
	"testing"

	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

// TestConditionalLookups: a repeated lookup of an unchanged resource is a 304 (not counted)
// and answers as the first did; a change is read in full; validators kept by one client (an
// env record) make the next client's first lookup a 304 with the same token, and an ordinary
// request with another token, whose ETags differ, as GitHub's do.
func TestConditionalLookups(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t)
	ctx := t.Context()
	const env = "app-pr-5"
	id := fake.AddComment(5, "", "<!-- sindri:env="+env+" deployment=0 closed=1 -->\nDestroyed")
	dep, err := c.EnsureDeployment(ctx, owner, repo, env, "abc", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	fake.ResetCounts()

	lookup := func(c *github.Client, step string) {
		t.Helper()
		sc, ok, err := c.FindSticky(ctx, owner, repo, 5, env)
		if err != nil || !ok || sc.ID != id || !sc.Closed || !sc.ByBot {
			t.Fatalf("%s: FindSticky = %+v, %v, %v; want comment %d, closed, by the bot", step, sc, ok, err, id)
		}
		got, err := c.EnsureDeployment(ctx, owner, repo, env, "abc", 0, false)
		if err != nil || got != dep {
			t.Fatalf("%s: EnsureDeployment = %d, %v; want %d", step, got, err, dep)
		}
	}
	expect := func(step string, counted, notModified int) {
		t.Helper()
		if fake.Counted() != counted || fake.NotModified() != notModified {
			t.Errorf("%s: %d counted, %d conditional 304 (%v); want %d and %d", step, fake.Counted(), fake.NotModified(), fake.Counts(), counted, notModified)
		}
		fake.ResetCounts()
	}
	lookup(c, "first")
	expect("first", 2, 0)
	if _, changed := c.Validators().Kept(); !changed {
		t.Error("Kept after the first lookups: not changed, want changed")
	}
	c.Validators().MarkKept()
	lookup(c, "repeated")
	expect("repeated", 0, 2)
	kept, changed := c.Validators().Kept()
	if changed || len(kept) != 2 {
		t.Errorf("Kept after 304s = %d validators, changed=%v; want 2, unchanged", len(kept), changed)
	}

	fake.AddComment(5, "alice", "a new comment changes the listing")
	lookup(c, "after a change")
	expect("after a change", 1, 1)
	kept, _ = c.Validators().Kept()

	// A later run's client with the kept validators, through JSON as an env record holds them.
	raw, err := json.Marshal(kept)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]github.Validator
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	nextRun := func(tok string, kept map[string]github.Validator) *github.Client {
		t.Helper()
		c, err := github.New(tok, github.WithBaseURL(fake.URL))
		if err != nil {
			t.Fatal(err)
		}
		c.Validators().Load(kept)
		return c
	}
	lookup(nextRun(token, back), "next run, same token")
	expect("next run, same token", 0, 2)

	const rotated = "ghs_nextjobtoken9876543210"
	fake.AddToken(rotated)
	lookup(nextRun(rotated, back), "next run, new token")
	expect("next run, new token", 2, 0)

	// A kept value this version cannot read is dropped: the GET is made without a condition.
	bad := map[string]github.Validator{}
	for k, v := range back {
		bad[k] = github.Validator{ETag: v.ETag, Value: json.RawMessage(`"not a page"`)}
	}
	lookup(nextRun(token, bad), "unreadable kept values")
	expect("unreadable kept values", 2, 0)
	if got := fake.Count(githubtest.RouteListComments); got != 0 {
		t.Errorf("Count after ResetCounts = %d", got)
	}
}
