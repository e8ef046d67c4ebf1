package events

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/sindri/deploy/v3/pkg/jobs"
)

func emitAll(t *testing.T, em *Emitter, data ...Data) {
	t.Helper()
	for _, d := range data {
		if _, err := em.Emit(testCtx(t), d); err != nil {
			t.Fatal(err)
		}
	}
}

func collect(t *testing.T, ctx context.Context, js OrderedConsumerCreator, jobID string) ([]*Envelope, []error) {
	t.Helper()
	var evs []*Envelope
	var errs []error
	for ev, err := range Follow(ctx, js, jobID) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		evs = append(evs, ev)
	}
	return evs, errs
}

func TestFollowAfterJobFinished(t *testing.T) {
	t.Parallel()
	js := newBus(t)
	pub := NewPublisher(js)
	job := newJob(t, jobs.KindDeploy)
	other := newJob(t, jobs.KindDeploy)
	em, _ := NewEmitter(pub, job.ID, "urn:test", 0)
	emOther, _ := NewEmitter(pub, other.ID, "urn:test", 0)
	emitAll(t, emOther, &Accepted{Attempt: 1})
	emitAll(t, em, &Accepted{Attempt: 1}, &Started{Attempt: 1}, &Log{Message: "one"},
		&Progress{Step: "s", Done: 1, Total: 2}, &Succeeded{Kind: jobs.KindDeploy, Env: "app-pr-7"})
	// Events after the terminal one are not part of the follow.
	emitAll(t, em, &Log{Message: "late"})

	evs, errs := collect(t, testCtx(t), js, job.ID)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	wantTypes := []Type{TypeAccepted, TypeStarted, TypeLog, TypeProgress, TypeSucceeded}
	if len(evs) != len(wantTypes) {
		t.Fatalf("got %d events, want %d", len(evs), len(wantTypes))
	}
	for i, ev := range evs {
		if ev.Type != wantTypes[i] || ev.Seq != uint64(i+1) || ev.Subject != job.ID {
			t.Errorf("event %d = %s seq %d job %s", i, ev.Type, ev.Seq, ev.Subject)
		}
	}
}

func TestFollowStopsAtEachTerminalType(t *testing.T) {
	t.Parallel()
	js := newBus(t)
	pub := NewPublisher(js)
	for _, term := range []Data{&Failed{Code: FailProvider}, &Superseded{}, &Deadlettered{}, &Succeeded{}} {
		job := newJob(t, jobs.KindDeploy)
		em, _ := NewEmitter(pub, job.ID, "urn:test", 0)
		emitAll(t, em, &Accepted{}, &Retrying{Reason: RetryTransient}, term)
		evs, errs := collect(t, testCtx(t), js, job.ID)
		if len(errs) != 0 || len(evs) != 3 || evs[2].Type != term.EventType() {
			t.Errorf("%s: got %d events, errs %v", term.EventType(), len(evs), errs)
		}
	}
}

func TestFollowStartedBeforePublish(t *testing.T) {
	t.Parallel()
	js := newBus(t)
	pub := NewPublisher(js)
	job := newJob(t, jobs.KindDeploy)
	em, _ := NewEmitter(pub, job.ID, "urn:test", 0)

	type result struct {
		evs  []*Envelope
		errs []error
	}
	done := make(chan result, 1)
	started := make(chan struct{})
	ctx := testCtx(t)
	go func() {
		var r result
		for ev, err := range Follow(ctx, js, job.ID) {
			if err != nil {
				r.errs = append(r.errs, err)
				continue
			}
			r.evs = append(r.evs, ev)
			if ev.Type == TypeAccepted {
				close(started) // the follower is live; publish the rest now
			}
		}
		done <- r
	}()
	emitAll(t, em, &Accepted{})
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("follower never saw the first event")
	}
	emitAll(t, em, &Log{Message: "a"}, &Failed{Code: FailProvider, Message: "boom"})
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("follower did not stop after the terminal event")
	}
	if len(r.errs) != 0 || len(r.evs) != 3 || r.evs[2].Type != TypeFailed {
		t.Errorf("got %d events %v, errors %v", len(r.evs), types(r.evs), r.errs)
	}
}

func types(evs []*Envelope) []Type {
	var out []Type
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func TestFollowEndsWithContext(t *testing.T) {
	t.Parallel()
	js := newBus(t)
	job := newJob(t, jobs.KindDeploy)
	em, _ := NewEmitter(NewPublisher(js), job.ID, "urn:test", 0)
	emitAll(t, em, &Accepted{})
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	var got []*Envelope
	var last error
	for ev, err := range Follow(ctx, js, job.ID) {
		if err != nil {
			last = err
			continue
		}
		got = append(got, ev)
		cancel() // the job never finishes; the caller gives up
	}
	if len(got) != 1 || !errors.Is(last, context.Canceled) {
		t.Errorf("got %d events, last error %v; want 1 and context.Canceled", len(got), last)
	}
}

func TestFollowSkipsUndecodableEvents(t *testing.T) {
	t.Parallel()
	js := newBus(t)
	job := newJob(t, jobs.KindDeploy)
	ctx := testCtx(t)
	subj, _ := EventsSubject(job.ID)
	// A newer executor wrote a type this reader does not know.
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: subj, Data: []byte(`{"specversion":"1.0","id":"x","source":"s","type":"dev.sindri.job.teleported.v2","subject":"` + job.ID + `","time":"2026-01-01T00:00:00Z","seq":1,"data":{}}`)}); err != nil {
		t.Fatal(err)
	}
	last, err := LastSeq(ctx, js, job.ID)
	if err != nil || last != 1 {
		t.Fatalf("LastSeq over an unknown event type = %d, %v; want 1", last, err)
	}
	em, _ := NewEmitter(NewPublisher(js), job.ID, "urn:test", last)
	emitAll(t, em, &Superseded{Generation: 1, DesiredGeneration: 2})
	evs, errs := collect(t, ctx, js, job.ID)
	if len(errs) != 1 || !errors.Is(errs[0], ErrUnknownEventType) {
		t.Errorf("errors %v; want one ErrUnknownEventType", errs)
	}
	if len(evs) != 1 || evs[0].Type != TypeSuperseded {
		t.Errorf("events %v", types(evs))
	}
}

func TestFollowWithoutStream(t *testing.T) {
	t.Parallel()
	_, js := connectJS(t, startServer(t)) // no Setup
	_, errs := collect(t, testCtx(t), js, newJob(t, jobs.KindDeploy).ID)
	if len(errs) != 1 {
		t.Errorf("errors %v; want one fatal error", errs)
	}
	_, errs = collect(t, testCtx(t), js, "bad.id")
	if len(errs) != 1 || !errors.Is(errs[0], ErrBadSubject) {
		t.Errorf("bad id: %v", errs)
	}
}

// Follow with also ids follows their events with the job's, in stream order, and a terminal
// event under an also id ends it: how a publisher sees a refusal filed under RefusedID.
func TestFollowAlsoEndsOnRefusal(t *testing.T) {
	t.Parallel()
	js := newBus(t)
	pub := NewPublisher(js)
	job := newJob(t, jobs.KindDeploy)
	refused := RefusedID(42)
	emRef, _ := NewEmitter(pub, refused, "urn:test", 0)
	emitAll(t, emRef, &Failed{Code: FailUnauthorized, Message: "job signature rejected: not signed", Attempt: 1})
	var got []*Envelope
	for ev, err := range Follow(testCtx(t), js, job.ID, refused) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	if len(got) != 1 || got[0].Type != TypeFailed || got[0].Subject != refused {
		t.Fatalf("followed %v, want the one failed event under %s", got, refused)
	}
	for ev, err := range Follow(testCtx(t), js, job.ID, "bad id with spaces") {
		if ev != nil || err == nil {
			t.Errorf("a bad also id: (%v, %v), want one error", ev, err)
		}
	}
}
