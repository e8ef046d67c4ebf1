package github_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

// TestRateLimitsAreWaitedOut: every kind of rate limit GitHub answers is waited out as GitHub
// asks, each wait announced by a progress line first, up to the job's timeout (maxWait) and
// the run's deadline; rate-limit waits do not use up the retries meant for failures.
func TestRateLimitsAreWaitedOut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		maxWait  time.Duration
		deadline time.Duration // 0: none
		faults   []githubtest.Fault
		// exhausted turns on the fake's primary limit with this many requests left (-1: off).
		exhausted int
		waits     []time.Duration
		fails     bool
		say       []string
	}{
		{name: "429 with Retry-After", maxWait: time.Hour, exhausted: -1,
			faults: []githubtest.Fault{{Status: 429, RetryAfter: "90"}},
			waits:  []time.Duration{90 * time.Second}, say: []string{"rate limit (429) on GET /repos/octo/app/pulls/4: waiting 1m30s"}},
		{name: "repeated secondary limits without Retry-After wait longer each time", maxWait: time.Hour, exhausted: -1,
			faults: []githubtest.Fault{{Status: 403, Secondary: true}, {Status: 403, Secondary: true}, {Status: 429}},
			waits:  []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute},
			say:    []string{"secondary rate limit (403)", "wait 2 of at most 8", "rate limit (429)"}},
		{name: "403 with x-ratelimit-remaining 0 waits for the reset", maxWait: time.Hour, exhausted: 0,
			waits: []time.Duration{time.Hour}, say: []string{"primary rate limit (403)"}},
		{name: "a success that leaves none makes the next request wait for the reset", maxWait: time.Hour, exhausted: 1,
			waits: []time.Duration{time.Hour}, say: []string{"primary rate limit used up; waiting"}},
		{name: "a wait past the run's deadline is not made", maxWait: time.Hour, deadline: time.Minute, exhausted: -1,
			faults: []githubtest.Fault{{Status: 403, Secondary: true, RetryAfter: "120"}},
			fails:  true, say: []string{"beyond what this run may wait"}},
		{name: "a limit that stays after 8 waits is given up", maxWait: time.Hour, exhausted: -1,
			faults: []githubtest.Fault{{Status: 429, RetryAfter: "1"}, {Status: 429, RetryAfter: "1"}, {Status: 429, RetryAfter: "1"},
				{Status: 429, RetryAfter: "1"}, {Status: 429, RetryAfter: "1"}, {Status: 429, RetryAfter: "1"},
				{Status: 429, RetryAfter: "1"}, {Status: 429, RetryAfter: "1"}, {Status: 429, RetryAfter: "1"}},
			waits: []time.Duration{0, 0, 0, 0, 0, 0, 0, 0}, fails: true, say: []string{"again after 8 waits: not retrying"}},
		{name: "a wait longer than the job's timeout is not made", maxWait: time.Minute, exhausted: -1,
			faults: []githubtest.Fault{{Status: 429, RetryAfter: "3600"}},
			fails:  true, say: []string{"asks for a wait of 1h0m0s, beyond what this run may wait"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := githubtest.New(t, owner, repo, token)
			fake.AddPull(githubtest.PullRequest{Number: 4, HeadSHA: "s", HeadRef: "f", HeadRepo: owner + "/" + repo})
			// The reset is an hour away (less the second GitHub's clock may differ by); the
			// fake's time passes when the client has waited.
			reset := time.Now().Add(time.Hour - time.Second).Truncate(time.Second)
			if tt.exhausted >= 0 {
				fake.RateLimit(tt.exhausted, reset)
			}
			fake.Inject(githubtest.RouteGetPull, tt.faults...)
			waited := &recorder[time.Duration]{}
			wait := func(ctx context.Context, d time.Duration) error {
				waited.add(d.Round(time.Minute / 2))
				fake.Refill()
				return ctx.Err()
			}
			p := &recorder[string]{}
			c, err := github.New(token, github.WithBaseURL(fake.URL), github.WithWait(wait),
				github.WithRetries(1, tt.maxWait), github.WithProgress(p.add))
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			if tt.exhausted == 1 {
				// The one request left: its answer says none is left.
				if _, err := c.PullRequest(ctx, owner, repo, 4); err != nil {
					t.Fatal(err)
				}
			}
			pr, err := c.PullRequest(ctx, owner, repo, 4)
			if tt.fails {
				if !errors.Is(err, github.ErrRateLimited) {
					t.Errorf("err = %v, want ErrRateLimited", err)
				}
			} else if err != nil || pr.HeadSHA != "s" {
				t.Errorf("PullRequest = %+v, %v; want the pull request after waiting", pr, err)
			}
			if got := waited.got(); !slices.Equal(got, tt.waits) {
				t.Errorf("waits = %v, want %v", got, tt.waits)
			}
			lines := strings.Join(p.got(), "\n")
			for _, want := range tt.say {
				if !strings.Contains(lines, want) {
					t.Errorf("progress lines %q lack %q", lines, want)
				}
			}
			if strings.Contains(lines, token) {
				t.Error("a progress line holds the token")
			}
		})
	}
}
