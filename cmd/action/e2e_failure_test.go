package main

import (
	"strings"
	"testing"
)

// TestE2EDeployFailure: a deploy that cannot succeed (the image is not on the engine and
// pull_policy Never forbids pulling it, so the test does not depend on any registry) exits
// non-zero with one error annotation, and GitHub tells the truth: a failure status without an
// environment URL, and a sticky comment that says failed.
func TestE2EDeployFailure(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	r := newRepo(t, "")
	r.writeFile("sindri.yaml", strings.Replace(r.config(""), "  image: "+testImage+"\n",
		"  image_config:\n    registry: sindri-test/missing\n    tag_override: \"0\"\n    pull_policy: Never\n", 1))
	res := r.invoke("pull_request", prPayload(t, "opened", shaOpened), map[string]string{"timeout": "2m"})
	if res.code == 0 || res.outputs["status"] != "failed" {
		t.Fatalf("exit %d status %q, want non-zero and failed", res.code, res.outputs["status"])
	}
	if errs := res.annotations("error"); len(errs) != 1 || !strings.Contains(errs[0], "deploy of "+r.env()+" failed") {
		t.Errorf("error annotations %q, want exactly one saying the deploy failed", errs)
	}
	if !strings.Contains(res.summary, "**Error:**") {
		t.Errorf("the summary shows no error:\n%s", res.summary)
	}
	// The provider sent progress only before failing: those are the last lines shown.
	if !strings.Contains(res.summary, "**Last log lines:**") || !strings.Contains(res.summary, "resolve image") {
		t.Errorf("the summary shows no last lines (progress included):\n%s", res.summary)
	}
	sticky := r.stickyComments()
	if len(sticky) != 1 || !strings.Contains(sticky[0].Body, "Failed") {
		t.Fatalf("sticky comments %+v, want one that says failed", sticky)
	}
	sts, states := r.theDeployment()
	for _, st := range sts {
		if st.EnvironmentURL != "" {
			t.Errorf("%s status has environment_url %q", st.State, st.EnvironmentURL)
		}
	}
	if states != "in_progress,failure" {
		t.Errorf("deployment statuses %s, want in_progress,failure", states)
	}
	golden(t, "failed.summary.md", r.normalize(res.summary))
	golden(t, "failed.comment.md", r.normalize(sticky[0].Body))
	if left := leftovers(t, r.env()); len(left) > 0 {
		t.Errorf("a failed deploy left %v", left)
	}
}
