package runner

import (
	"context"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

// TestRunKeepsValidatorsInTheEnvRecord: lookups that must be repeated (here: a close whose
// environment has nothing on GitHub, as one deployed with reporting off, run again) keep their
// ETags in the env record. The next run with the same token repeats them as conditional
// requests answered 304, which do not count against the rate limit; with another token (each
// workflow job gets a new GITHUB_TOKEN) GitHub's per-token ETags do not match, and the lookups
// count as before.
func TestRunKeepsValidatorsInTheEnvRecord(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const tok, rotated = "ghs_runner", "ghs_nextjob"
	fake := githubtest.New(t, "acme", "app", tok)
	fake.AddToken(rotated)
	quiet := func(r *Request) { r.Inputs.Comment, r.Inputs.Deployment = false, false }
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, tok, quiet); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	for _, step := range []struct {
		name                 string
		token                string
		counted, notModified int
	}{
		{"first close", tok, 2, 0},
		{"close again, same token", tok, 0, 2},
		{"close again, new token", rotated, 2, 0},
	} {
		fake.ResetCounts()
		if code := h.runGitHub(prIntent(action.KindDestroy, "pull_request.closed"), fake, step.token); code != ExitOK {
			t.Fatalf("%s: exit %d\n%s", step.name, code, h.out.String())
		}
		if fake.Counted() != step.counted || fake.NotModified() != step.notModified {
			t.Errorf("%s: %d counted, %d conditional 304 (%v); want %d and %d", step.name,
				fake.Counted(), fake.NotModified(), fake.Counts(), step.counted, step.notModified)
		}
	}
	if len(fake.Comments(7)) != 0 || len(fake.Deployments()) != 0 {
		t.Error("a close of an environment GitHub never heard of wrote to GitHub")
	}
}

// TestFinalCtxLastsUntilTheJobDeadline: a final report may wait out a rate limit until the
// job's deadline; a cancelled run (the workflow was cancelled) leaves it finalReportTimeout.
func TestFinalCtxLastsUntilTheJobDeadline(t *testing.T) {
	t.Parallel()
	job := time.Now().Add(20 * time.Minute)
	for _, tc := range []struct {
		name    string
		cancel  bool
		job     time.Time
		atLeast time.Duration
		atMost  time.Duration
	}{
		{"running, with a timeout", false, job, 19 * time.Minute, 20 * time.Minute},
		{"running, no timeout", false, time.Time{}, 0, finalReportTimeout},
		{"cancelled", true, job, 0, finalReportTimeout},
	} {
		ctx, cancel := context.WithCancel(t.Context())
		if tc.cancel {
			cancel()
		}
		rr := &run{deadline: tc.job}
		fctx, fcancel := rr.finalCtx(ctx)
		d, ok := fctx.Deadline()
		left := time.Until(d)
		if !ok || left < tc.atLeast || left > tc.atMost || fctx.Err() != nil {
			t.Errorf("%s: final report context ends in %s (err %v), want between %s and %s and not done", tc.name, left, fctx.Err(), tc.atLeast, tc.atMost)
		}
		// A cancellation after the start does not end the final report at once.
		cancel()
		if fctx.Err() != nil {
			t.Errorf("%s: cancelling the run ended the final report at once", tc.name)
		}
		fcancel()
	}
}
