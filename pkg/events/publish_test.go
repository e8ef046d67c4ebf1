package events

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/jobs"
)

func newJob(t *testing.T, kind jobs.Kind) *jobs.Job {
	t.Helper()
	j, err := jobs.New(kind, "app-pr-7", "docker")
	if err != nil {
		t.Fatal(err)
	}
	j.Generation = 1
	j.Repo, j.PR, j.Trigger = "acme/app", 7, "pull_request.synchronize"
	j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: "name: app\n"}
	return j
}

func TestPublishJobDetectsDuplicates(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	js := newBus(t)
	pub := NewPublisher(js)

	first := newJob(t, jobs.KindDeploy)
	key := first.IdempotencyKey(jobs.RunDelivery("99", "1"))
	dup, err := pub.PublishJob(ctx, first, key)
	if err != nil || dup {
		t.Fatalf("first publish: dup=%v err=%v", dup, err)
	}
	// The same workflow step runs again: new job id, same request.
	again := newJob(t, jobs.KindDeploy)
	dup, err = pub.PublishJob(ctx, again, again.IdempotencyKey(jobs.RunDelivery("99", "1")))
	if err != nil || !dup {
		t.Fatalf("second publish: dup=%v err=%v; want duplicate", dup, err)
	}
	// A re-run (new attempt) is a new job.
	dup, err = pub.PublishJob(ctx, again, again.IdempotencyKey(jobs.RunDelivery("99", "2")))
	if err != nil || dup {
		t.Fatalf("re-run publish: dup=%v err=%v; want new job", dup, err)
	}
	s, _ := js.Stream(ctx, JobsStream)
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Errorf("SINDRI_JOBS holds %d jobs, want 2", info.State.Msgs)
	}
	m, err := s.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "sindri.jobs.docker" {
		t.Errorf("subject %q", m.Subject)
	}
	got, err := jobs.Decode(m.Data)
	if err != nil || got.ID != first.ID {
		t.Errorf("stored job %+v, %v", got, err)
	}
}

func TestPublishJobRefusesInvalid(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	js := newBus(t)
	pub := NewPublisher(js)
	j := newJob(t, jobs.KindDeploy)
	j.Env = "Bad_Name"
	if _, err := pub.PublishJob(ctx, j, "k"); !errors.Is(err, jobs.ErrInvalid) {
		t.Errorf("invalid job: %v, want jobs.ErrInvalid", err)
	}
	j = newJob(t, jobs.KindDeploy)
	j.V = 2
	if _, err := pub.PublishJob(ctx, j, "k"); !errors.Is(err, jobs.ErrUnknownVersion) {
		t.Errorf("v2 job: %v, want jobs.ErrUnknownVersion", err)
	}
	if _, err := pub.PublishJob(ctx, newJob(t, jobs.KindDeploy), ""); err == nil {
		t.Error("empty idempotency key accepted")
	}
}

func TestPublishEventIsDeduplicated(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	js := newBus(t)
	pub := NewPublisher(js)
	job := newJob(t, jobs.KindDeploy)
	ev, err := NewEnvelope(job.ID, 1, "urn:sindri:test", time.Now(), &Accepted{Worker: "w1", Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // a retried publish after a lost ack
		if err := pub.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := js.Stream(ctx, EventsStream)
	info, _ := s.Info(ctx)
	if info.State.Msgs != 1 {
		t.Errorf("SINDRI_EVENTS holds %d events, want 1", info.State.Msgs)
	}
}

func TestEmitterNumbersAndResumes(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	js := newBus(t)
	pub := NewPublisher(js)
	job := newJob(t, jobs.KindDeploy)

	last, err := LastSeq(ctx, js, job.ID)
	if err != nil || last != 0 {
		t.Fatalf("LastSeq of a new job = %d, %v", last, err)
	}
	em, err := NewEmitter(pub, job.ID, "urn:sindri:worker:a", last)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []Data{&Accepted{Attempt: 1}, &Started{Attempt: 1}, &Log{Level: LevelInfo, Message: "pulling"}} {
		if _, err := em.Emit(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if em.Seq() != 3 {
		t.Errorf("Seq = %d, want 3", em.Seq())
	}
	// The job is redelivered to another worker, which continues the numbering.
	last, err = LastSeq(ctx, js, job.ID)
	if err != nil || last != 3 {
		t.Fatalf("LastSeq = %d, %v; want 3", last, err)
	}
	em2, _ := NewEmitter(pub, job.ID, "urn:sindri:worker:b", last)
	ev, err := em2.Emit(ctx, &Accepted{Attempt: 2})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Seq != 4 || ev.ID != job.ID+"-4" {
		t.Errorf("resumed event seq %d id %s", ev.Seq, ev.ID)
	}
	s, _ := js.Stream(ctx, EventsStream)
	info, _ := s.Info(ctx)
	if info.State.Msgs != 4 {
		t.Errorf("%d events stored, want 4", info.State.Msgs)
	}
}

func TestEmitterFailedPublishKeepsSeq(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	nc, js := connectJS(t, startServer(t))
	if err := Setup(ctx, js, SetupOptions{}); err != nil {
		t.Fatal(err)
	}
	em, _ := NewEmitter(NewPublisher(js), newJob(t, jobs.KindDeploy).ID, "urn:x", 0)
	nc.Close()
	if _, err := em.Emit(ctx, &Log{Message: "x"}); err == nil {
		t.Fatal("Emit on a closed connection succeeded")
	}
	if em.Seq() != 0 {
		t.Errorf("failed Emit consumed seq: %d", em.Seq())
	}
}

var _ jetstream.Publisher = jetstream.JetStream(nil) // Publisher depends on the small interface

// PublishJobSeq reports the message's stream sequence, and a duplicate reports the stored
// original's: the id a refusal of that message is filed under is the same for every attempt.
func TestPublishJobSeqOfDuplicateIsOriginal(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	js := newBus(t)
	pub := NewPublisher(js)
	a, b := newJob(t, jobs.KindDeploy), newJob(t, jobs.KindDeploy)
	seqA, dup, err := pub.PublishJobSeq(ctx, a, "key-a")
	if err != nil || dup || seqA == 0 {
		t.Fatalf("first: seq %d dup %v err %v", seqA, dup, err)
	}
	seqB, _, err := pub.PublishJobSeq(ctx, b, "key-b")
	if err != nil || seqB == seqA {
		t.Fatalf("second: seq %d (first %d) err %v", seqB, seqA, err)
	}
	again, dup, err := pub.PublishJobSeq(ctx, a, "key-a")
	if err != nil || !dup || again != seqA {
		t.Errorf("duplicate: seq %d dup %v err %v; want the original's seq %d", again, dup, err, seqA)
	}
	if got := RefusedID(seqA); got != "refused-"+strconv.FormatUint(seqA, 10) {
		t.Errorf("RefusedID = %q", got)
	}
}
