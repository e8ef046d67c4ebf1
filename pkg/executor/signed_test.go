package executor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

func signingKey(t *testing.T) (nkeys.KeyPair, string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	return kp, pub
}

// startSignedExecutor runs an executor of a fake provider that trusts one signing key, and
// returns the key.
func startSignedExecutor(t *testing.T) (*bus, *providertest.Fake, nkeys.KeyPair) {
	t.Helper()
	b := startBus(t)
	fake := providertest.NewFake()
	cfg := testConfig(fake)
	trusted, trustedPub := signingKey(t)
	cfg.TrustedSigners = []string{trustedPub}
	runExecutor(t, b, cfg)
	return b, fake, trusted
}

// publishSigned publishes body on the fake provider's job subject with kp's signature over
// signed, and returns the message's stream sequence.
func (b *bus) publishSigned(t *testing.T, kp nkeys.KeyPair, signed, body []byte) uint64 {
	t.Helper()
	subj := "sindri.jobs." + providertest.FakeName
	signer, sig, err := jobs.Sign(kp, subj, signed)
	if err != nil {
		t.Fatal(err)
	}
	msg := &nats.Msg{Subject: subj, Data: body, Header: nats.Header{}}
	msg.Header.Set(jobs.HeaderSigner, signer)
	msg.Header.Set(jobs.HeaderSignature, sig)
	ack, err := b.js.PublishMsg(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

// An executor with trusted signers runs jobs signed by one of them and refuses, as
// unauthorized and without touching the provider, unsigned jobs, jobs signed by another key and
// signed jobs altered on the way.
func TestSignedJobsOnly(t *testing.T) {
	t.Parallel()
	b, fake, trusted := startSignedExecutor(t)
	stranger, _ := signingKey(t)
	ctx := context.Background()

	signed := newJob(t, jobs.KindDeploy, "signed", b.bump(t, "signed", false))
	if _, err := b.pub.SignedBy(trusted).PublishJob(ctx, signed, signed.IdempotencyKey("run/1/1")); err != nil {
		t.Fatal(err)
	}
	wantTerminal(t, b.follow(t, signed.ID, waitEvents), events.TypeSucceeded)

	// Each case publishes a job that must be refused and returns its message's stream sequence:
	// the refusal is filed under events.RefusedID(seq), never under the id the job claims.
	refused := func(name string, publish func(j *jobs.Job) uint64, want string) {
		t.Helper()
		j := newJob(t, jobs.KindDeploy, name, b.bump(t, name, false))
		seq := publish(j)
		evs := b.follow(t, events.RefusedID(seq), waitEvents)
		wantTerminal(t, evs, events.TypeFailed)
		f := last(evs).Data.(*events.Failed)
		if f.Code != events.FailUnauthorized || f.Retryable || !strings.Contains(f.Message, want) {
			t.Errorf("%s: failed = %+v, want unauthorized saying %q", name, f, want)
		}
		if n := fake.Count(name); n != 0 {
			t.Errorf("%s: the provider ran %d operations", name, n)
		}
		if n, err := events.LastSeq(ctx, b.js, j.ID); err != nil || n != 0 {
			t.Errorf("%s: %d events under the job's claimed id (%v), want none", name, n, err)
		}
	}
	refused("unsigned", func(j *jobs.Job) uint64 {
		seq, _, err := b.pub.PublishJobSeq(ctx, j, j.IdempotencyKey("run/1/1"))
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}, "not signed")
	refused("stranger", func(j *jobs.Job) uint64 {
		seq, _, err := b.pub.SignedBy(stranger).PublishJobSeq(ctx, j, j.IdempotencyKey("run/1/1"))
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}, "not one of this executor's trusted signers")
	refused("altered", func(j *jobs.Job) uint64 {
		// Signed for one body, published with another: the signature headers of a real job
		// copied onto a job someone changed.
		orig, _ := j.Encode()
		j.Options.Force = true
		changed, _ := j.Encode()
		return b.publishSigned(t, trusted, orig, changed)
	}, "does not match")
	if n := fake.CountOp("signed", providertest.OpDeploy); n != 1 {
		t.Errorf("signed job deploys = %d, want 1", n)
	}
}

// Unsigned messages reusing the id of a real job can neither end that job's history (as an
// unauthorized, unknown-version or invalid job) nor, published before it, make the real job look
// like a duplicate: their refusals are filed under their own stream sequence.
func TestForgedJobIDsCannotTouchRealJobs(t *testing.T) {
	t.Parallel()
	b, fake, trusted := startSignedExecutor(t)
	ctx := context.Background()
	subj := "sindri.jobs." + providertest.FakeName
	refusedUnder := func(what string, seq uint64) {
		t.Helper()
		evs := b.follow(t, events.RefusedID(seq), waitEvents)
		if f := last(evs).Data.(*events.Failed); f.Code != events.FailUnauthorized {
			t.Errorf("%s: %+v, want unauthorized", what, f)
		}
	}

	// A forged copy published before the real job is queued.
	real := newJob(t, jobs.KindDeploy, "victim", b.bump(t, "victim", false))
	early, _ := real.Encode()
	ack, err := b.js.Publish(ctx, subj, early)
	if err != nil {
		t.Fatal(err)
	}
	refusedUnder("early copy", ack.Sequence)
	if _, err := b.pub.SignedBy(trusted).PublishJob(ctx, real, real.IdempotencyKey("run/1/1")); err != nil {
		t.Fatal(err)
	}
	before := b.follow(t, real.ID, waitEvents)
	wantTerminal(t, before, events.TypeSucceeded)
	if n := fake.CountOp("victim", providertest.OpDeploy); n != 1 {
		t.Fatalf("the real job deployed %d times, want 1 (a forged copy made it a duplicate?)", n)
	}

	// Forgeries after it finished: a destroy, an unknown version, an invalid job.
	forged := *real
	forged.Kind = jobs.KindDestroy
	destroy, _ := forged.Encode()
	invalid := *real
	invalid.Env = "Not A Valid Env"
	bad, _ := invalid.Encode()
	for what, body := range map[string][]byte{
		"destroy":         destroy,
		"unknown version": []byte(`{"v":2,"id":"` + real.ID + `","kind":"teleport"}`),
		"invalid":         bad,
	} {
		ack, err := b.js.Publish(ctx, subj, body)
		if err != nil {
			t.Fatal(err)
		}
		refusedUnder(what, ack.Sequence)
	}
	seq, err := events.LastSeq(ctx, b.js, real.ID)
	if err != nil {
		t.Fatal(err)
	}
	if seq != uint64(len(before)) {
		t.Errorf("the real job has %d events after the forgeries were refused, want %d", seq, len(before))
	}
	if n := fake.CountOp("victim", providertest.OpDestroy); n != 0 {
		t.Errorf("the forged destroy ran %d times", n)
	}
}

func TestTrustedSignersValidated(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	cfg := testConfig(providertest.NewFake())
	cfg.TrustedSigners = []string{"UNOTAKEY"}
	if _, err := executor.New(context.Background(), b.js, cfg); err == nil || !strings.Contains(err.Error(), "not a public user nkey") {
		t.Fatalf("New with a bad trusted signer: %v", err)
	}
}
