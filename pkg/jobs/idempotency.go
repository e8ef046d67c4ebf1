package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// IdempotencyInput is what makes two job requests "the same".
//
// Two requests are the same job when they ask for the same Kind on the same Env of the same
// Repo, at the same desired Generation and commit SHA, caused by the same Trigger within the
// same Delivery (a workflow run attempt, or a webhook delivery id). The job id, created_at,
// requested_by, config text and secrets are deliberately not part of it: a retried publish or
// a re-executed step of the same run attempt builds a new id but must not queue a second job.
// A new run attempt (a user pressing "Re-run") is a new Delivery and so a new job, which is
// what the user asked for.
type IdempotencyInput struct {
	Repo       string
	Env        string
	Kind       Kind
	Generation uint64
	SHA        string
	Trigger    string
	// Delivery identifies the cause: "run/<run_id>/<run_attempt>" for a workflow run, or the
	// X-GitHub-Delivery id for a webhook. Use RunDelivery to build the first form.
	Delivery string
}

// RunDelivery returns the Delivery string for a GitHub Actions run id and run attempt.
func RunDelivery(runID, runAttempt string) string { return "run/" + runID + "/" + runAttempt }

// IdempotencyKey returns a deterministic key for in, used as the Nats-Msg-Id of the job
// message so that JetStream drops a duplicate within the SINDRI_JOBS duplicate window. The key
// is "sj1-" followed by 32 lowercase hex digits (the first 128 bits of a SHA-256 over the fields
// in a fixed, length-prefixed order, so no field can bleed into the next).
func IdempotencyKey(in IdempotencyInput) string {
	var b strings.Builder
	for _, f := range []string{
		in.Repo, in.Env, string(in.Kind), strconv.FormatUint(in.Generation, 10), in.SHA, in.Trigger, in.Delivery,
	} {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
		b.WriteByte(';')
	}
	sum := sha256.Sum256([]byte(b.String()))
	return "sj1-" + hex.EncodeToString(sum[:16])
}

// IdempotencyKey returns the idempotency key of j for the given delivery (see
// IdempotencyInput).
func (j *Job) IdempotencyKey(delivery string) string {
	return IdempotencyKey(IdempotencyInput{
		Repo: j.Repo, Env: j.Env, Kind: j.Kind, Generation: j.Generation,
		SHA: j.SHA, Trigger: j.Trigger, Delivery: delivery,
	})
}
