package main

import (
	"strings"
	"testing"
	"time"
)

// TestE2ECrashLoopFailsFast: a container that exits at once (the test server cannot listen on
// the "port" a secret gives it, and prints it) fails the deploy in seconds under the default
// restart policy, not at the timeout; its last log line reaches the job summary and the sticky
// comment, with the secret value it printed redacted there and everywhere else.
func TestE2ECrashLoopFailsFast(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	canary := "crashcanary" + randHex(8)
	r := newRepo(t, "secrets:\n  - name: PORT\n    source: env\n")
	r.extraEnv["PORT"] = canary
	r.secrets = append(r.secrets, canary)
	t0 := time.Now()
	res := r.invoke("pull_request", prPayload(t, "opened", shaOpened), map[string]string{"timeout": "2m"})
	if took := time.Since(t0); took > 90*time.Second {
		t.Errorf("the failed deploy took %s: the crash was noticed at the timeout", took)
	}
	if res.code == 0 || res.outputs["status"] != "failed" {
		t.Fatalf("exit %d status %q, want non-zero and failed", res.code, res.outputs["status"])
	}
	const lastLine = "hello: listen tcp"
	if !strings.Contains(res.summary, "**Last log lines:**") || !strings.Contains(res.summary, lastLine) {
		t.Errorf("the summary does not show the container's last log line:\n%s", res.summary)
	}
	if strings.Contains(res.summary, "deadline exceeded") {
		t.Errorf("the summary reports a deadline:\n%s", res.summary)
	}
	sticky := r.stickyComments()
	if len(sticky) != 1 || !strings.Contains(sticky[0].Body, lastLine) {
		t.Fatalf("sticky comments %+v, want one quoting the container's last log line", sticky)
	}
	texts := map[string]string{"summary": res.summary, "stderr": res.stderr, "comment": sticky[0].Body,
		"stdout": strings.ReplaceAll(res.stdout, "::add-mask::"+canary+"\n", "")}
	for _, d := range r.gh.Deployments() {
		for _, st := range r.gh.Statuses(d.ID) {
			texts["deployment status"] += st.Description + st.LogURL
		}
	}
	for where, text := range texts {
		if strings.Contains(text, canary) {
			t.Errorf("the secret the container printed appears in the %s", where)
		}
	}
	if left := leftovers(t, r.env()); len(left) > 0 {
		t.Errorf("a failed deploy left %v", left)
	}
}
