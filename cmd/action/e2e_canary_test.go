package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2ESecretCanary deploys and destroys with a secret (source env) whose canary value is in
// the action's environment: the container receives it, and it appears nowhere else — not in
// stdout/stderr (beyond the ::add-mask:: command that hides it), the step outputs, the job
// summary, any comment, deployment or deployment status the fake recorded, nor anywhere in the
// embedded bus's store (jobs, events, env records), kept with SINDRI_EMBEDDED_STORE_DIR.
func TestE2ESecretCanary(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	const name = "E2E_CANARY"
	canary := "canary-" + randHex(16)
	r := newRepo(t, "secrets:\n  - name: "+name+"\n    source: env\n")
	store := filepath.Join(r.dir, "store")
	r.extraEnv[name] = canary
	r.secrets = append(r.secrets, canary)
	r.extraEnv["SINDRI_EMBEDDED_STORE_DIR"] = store

	opened := r.invoke("pull_request", prPayload(t, "opened", shaOpened), nil)
	if opened.code != 0 || opened.outputs["status"] != "ready" {
		t.Fatalf("opened: exit %d status %q, want 0 ready", opened.code, opened.outputs["status"])
	}
	code, body, err := httpGetReady(r.url() + "/env-check?name=" + name)
	if err != nil || code != 200 || strings.TrimSpace(body) != name+" set=true" {
		t.Errorf("env-check: %d %q %v, want %s set=true (the secret must reach the container)", code, body, err, name)
	}
	r.gh.ResetCounts()
	closed := r.invoke("pull_request", prPayload(t, "closed", shaOpened), nil)
	// With the store kept, the env record remembers the comment and deployment ids.
	t.Logf("GitHub API, pull_request.closed with a kept store: %s", requestLog(r.gh))
	if closed.code != 0 || closed.outputs["status"] != "destroyed" {
		t.Fatalf("closed: exit %d status %q, want 0 destroyed", closed.code, closed.outputs["status"])
	}

	leak := func(where, text string) {
		t.Helper()
		if strings.Contains(text, canary) {
			t.Errorf("the canary secret appears in %s", where)
		}
	}
	for i, res := range r.invocations {
		mask := "::add-mask::" + canary
		if !strings.Contains(res.stdout, mask+"\n") {
			t.Errorf("run %d: the secret was not masked (no %s line)", i+1, "::add-mask::")
		}
		leak("stdout", strings.ReplaceAll(res.stdout, mask+"\n", ""))
		leak("stderr", res.stderr)
		leak("the job summary", res.summary)
		for k, v := range res.outputs {
			leak("output "+k, v)
		}
	}
	for _, c := range r.gh.Comments(e2ePR) {
		leak("a comment", c.Body)
	}
	for _, d := range r.gh.Deployments() {
		leak("a deployment", d.Description+d.Ref+d.Environment)
		for _, st := range r.gh.Statuses(d.ID) {
			leak("a deployment status", st.Description+st.EnvironmentURL+st.LogURL)
		}
	}
	// The store must hold what the bus carried (else this check proves nothing).
	var all bytes.Buffer
	err = filepath.WalkDir(store, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		all.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dev.sindri.job.succeeded.v1", "dev.sindri.job.log.v1", r.env(), "sindri.jobs.docker"} {
		if !bytes.Contains(all.Bytes(), []byte(want)) {
			t.Errorf("the kept store holds no %q: is it still plain JetStream file storage?", want)
		}
	}
	if bytes.Contains(all.Bytes(), []byte(canary)) {
		t.Error("the canary secret appears in the bus's store (a job, an event or an env record)")
	}
	if left := leftovers(t, r.env()); len(left) > 0 {
		t.Errorf("left in Docker after closed: %v", left)
	}
}
