package executor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// A correctly signed message that is no valid job (a bad id, missing fields, not a job at all)
// still ends with a failed event under an id its publisher can follow: the claimed id when it
// is a well-formed job id that names no other job's history, else events.RefusedID(seq). The
// executor keeps serving, and a finished job whose id a refused message reuses keeps its history.
func TestSignedInvalidJobIsRefused(t *testing.T) {
	t.Parallel()
	b, fake, trusted := startSignedExecutor(t)
	ctx := context.Background()

	done := newJob(t, jobs.KindDeploy, "done", b.bump(t, "done", false))
	if _, err := b.pub.SignedBy(trusted).PublishJob(ctx, done, done.IdempotencyKey("run/1/1")); err != nil {
		t.Fatal(err)
	}
	history := b.follow(t, done.ID, waitEvents)
	wantTerminal(t, history, events.TypeSucceeded)

	cases := []struct {
		name, body string
		code       events.FailCode
	}{
		{"bad id, missing fields", `{"v":1,"id":"not a uuid"}`, events.FailInvalidJob},
		{"token id, missing fields", `{"v":1,"id":"not-a-uuid"}`, events.FailInvalidJob},
		{"form feed in id", `{"v":1,"id":"a\fb","kind":"deploy"}`, events.FailInvalidJob},
		{"vertical tab in id", `{"v":1,"id":"a\u000bb"}`, events.FailInvalidJob},
		{"no-break space in id", `{"v":1,"id":"a\u00a0b"}`, events.FailInvalidJob},
		{"long id", `{"v":1,"id":"` + strings.Repeat("x", 70000) + `"}`, events.FailInvalidJob},
		{"no id", `{"v":1,"kind":"deploy"}`, events.FailInvalidJob},
		{"finished job's id, missing fields", `{"v":1,"id":"` + done.ID + `"}`, events.FailInvalidJob},
		{"unknown version, bad id", `{"v":9,"id":"a\fb"}`, events.FailUnknownVersion},
		{"not json", `hello`, events.FailMalformed},
	}
	for _, tc := range cases {
		seq := b.publishSigned(t, trusted, []byte(tc.body), []byte(tc.body))
		// What a publisher follows: the refusal id of its message, and the id it claimed
		// when that can name a subject at all.
		ids := []string{events.RefusedID(seq)}
		if j, _ := jobs.Decode([]byte(tc.body)); j != nil && j.ID != done.ID {
			if _, err := events.EventsSubject(j.ID); err == nil {
				ids = append(ids, j.ID)
			}
		}
		fctx, cancel := context.WithTimeout(ctx, waitEvents)
		var got []*events.Envelope
		for ev, err := range events.Follow(fctx, b.js, ids[0], ids[1:]...) {
			if err != nil {
				t.Fatalf("%s: follow %.80q: %v (got %v)", tc.name, ids, err, types(got))
			}
			got = append(got, ev)
		}
		cancel()
		wantTerminal(t, got, events.TypeFailed)
		if f := last(got).Data.(*events.Failed); f.Code != tc.code {
			t.Errorf("%s: code %s, want %s (%s)", tc.name, f.Code, tc.code, f.Message)
		}
	}
	if seq, err := events.LastSeq(ctx, b.js, done.ID); err != nil || seq != uint64(len(history)) {
		t.Errorf("the finished job has %d events (%v), want %d", seq, err, len(history))
	}
	if n := fake.CountOp("done", providertest.OpDeploy); n != 1 {
		t.Errorf("deploys of the finished job = %d, want 1", n)
	}
}
