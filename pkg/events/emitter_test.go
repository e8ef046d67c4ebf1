package events

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/jobs"
)

// lostAck is a jetstream.Publisher whose next publishes reach the stream but report an error,
// as when the ack is lost on the way back.
type lostAck struct {
	jetstream.Publisher
	lose atomic.Int32
}

func (l *lostAck) PublishMsg(ctx context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	ack, err := l.Publisher.PublishMsg(ctx, m, opts...)
	if err == nil && l.lose.Add(-1) >= 0 {
		return nil, nats.ErrTimeout
	}
	return ack, err
}

// storedEvents returns the events of jobID in SINDRI_EVENTS, in order.
func storedEvents(t *testing.T, js jetstream.JetStream, jobID string) []*Envelope {
	t.Helper()
	ctx := testCtx(t)
	subj, _ := EventsSubject(jobID)
	cons, err := js.OrderedConsumer(ctx, EventsStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Envelope
	for range info.NumPending {
		m, err := cons.Next()
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Decode(m.Data())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func TestEmitterSeqTakenByAnotherPublisher(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	js := newBus(t)
	pub := NewPublisher(js)
	job := newJob(t, jobs.KindDeploy)
	// Two deliveries of one job that both read the history before either spoke.
	a, _ := NewEmitter(pub, job.ID, "urn:sindri:worker:a", 0)
	b, _ := NewEmitter(pub, job.ID, "urn:sindri:worker:b", 0)
	if _, err := a.Emit(ctx, &Accepted{Worker: "a", Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := b.Emit(ctx, &Accepted{Worker: "b", Attempt: 1})
	var taken *SeqTakenError
	if !errors.Is(err, ErrSeqTaken) || !errors.As(err, &taken) || taken.Seq != 1 || taken.JobID != job.ID {
		t.Fatalf("second publisher's Emit = %v, want a *SeqTakenError for seq 1", err)
	}
	if b.Seq() != 0 {
		t.Errorf("Seq after a taken number = %d, want 0", b.Seq())
	}
	evs := storedEvents(t, js, job.ID)
	if len(evs) != 1 || evs[0].Data.(*Accepted).Worker != "a" {
		t.Fatalf("stored %d events (%+v), want only a's", len(evs), evs)
	}
}

func TestEmitterAfterLostAck(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		next       Data
		wantWorker []string // Accepted/Started worker per stored event
	}{
		"retry with the same data is stored once": {
			next: &Accepted{Worker: "w", Attempt: 1}, wantWorker: []string{"accepted:w"},
		},
		"other data follows the stored event": {
			next: &Started{Worker: "w", Attempt: 1}, wantWorker: []string{"accepted:w", "started:w"},
		},
	}
	// The emitter that read the (empty) history publishes conditionally; the retry after the
	// lost ack must still find its own event rather than report the number taken.
	emitters := map[string]func(pub *Publisher, jobID string) (*Emitter, error){
		"unconditional": func(pub *Publisher, jobID string) (*Emitter, error) {
			return NewEmitter(pub, jobID, "urn:sindri:worker:w", 0)
		},
		"conditional": func(pub *Publisher, jobID string) (*Emitter, error) {
			return NewEmitterAfter(pub, jobID, "urn:sindri:worker:w", 0, 0)
		},
	}
	for name, tc := range tests {
		for emName, newEm := range emitters {
			t.Run(name+"/"+emName, func(t *testing.T) {
				t.Parallel()
				lostAckCase(t, newEm, tc.next, tc.wantWorker)
			})
		}
	}
}

func lostAckCase(t *testing.T, newEm func(pub *Publisher, jobID string) (*Emitter, error), next Data, wantWorker []string) {
	t.Helper()
	ctx := testCtx(t)
	js := newBus(t)
	la := &lostAck{Publisher: js}
	la.lose.Store(1)
	job := newJob(t, jobs.KindDeploy)
	em, _ := newEm(NewPublisher(la), job.ID)
	if _, err := em.Emit(ctx, &Accepted{Worker: "w", Attempt: 1}); err == nil {
		t.Fatal("Emit with a lost ack succeeded")
	}
	ev, err := em.Emit(ctx, next)
	if err != nil {
		t.Fatalf("Emit after a lost ack: %v", err)
	}
	if want := uint64(len(wantWorker)); ev.Seq != want || em.Seq() != want {
		t.Errorf("event seq %d, Seq() %d, want %d", ev.Seq, em.Seq(), want)
	}
	var got []string
	for _, ev := range storedEvents(t, js, job.ID) {
		switch d := ev.Data.(type) {
		case *Accepted:
			got = append(got, "accepted:"+d.Worker)
		case *Started:
			got = append(got, "started:"+d.Worker)
		}
	}
	if len(got) != len(wantWorker) {
		t.Fatalf("stored %v, want %v", got, wantWorker)
	}
	for i := range got {
		if got[i] != wantWorker[i] {
			t.Fatalf("stored %v, want %v", got, wantWorker)
		}
	}
	// The emitter knows its position again: it goes on numbering.
	if ev, err := em.Emit(ctx, &Log{Level: LevelInfo, Message: "after"}); err != nil || ev.Seq != uint64(len(wantWorker))+1 {
		t.Fatalf("Emit after the recovery = %v, %v", ev, err)
	}
}

// An event another publisher stored after the emitter's position was known makes its next
// publish fail with ErrSeqTaken, even when that event's id says nothing (stored outside the
// duplicate window, or with another id): the condition is on the job's last stored event.
func TestEmitterConditionalOnLastEvent(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	js := newBus(t)
	pub := NewPublisher(js)
	job := newJob(t, jobs.KindDeploy)
	subj, _ := EventsSubject(job.ID)
	// storeForeign stores event seq of the job under an id the duplicate window does not know.
	storeForeign := func(seq uint64) {
		t.Helper()
		ev, err := NewEnvelope(job.ID, seq, "urn:sindri:worker:other", time.Now(), &Log{Level: LevelInfo, Message: "other"})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := ev.Encode()
		if _, err := js.Publish(ctx, subj, b, jetstream.WithMsgID("foreign-"+ev.ID)); err != nil {
			t.Fatal(err)
		}
	}

	// A first delivery that skipped the history read: the job has an event already.
	fresh, _ := NewEmitterAfter(pub, job.ID, "urn:sindri:worker:a", 0, 0)
	if !fresh.Conditional() {
		t.Fatal("NewEmitterAfter: Conditional() = false")
	}
	storeForeign(1)
	_, err := fresh.Emit(ctx, &Accepted{Worker: "a", Attempt: 1})
	var taken *SeqTakenError
	if !errors.As(err, &taken) || taken.Seq != 1 {
		t.Fatalf("Emit on a job with events = %v, want a *SeqTakenError for seq 1", err)
	}

	// An emitter that read the history goes on after it, then loses the job to a foreign
	// event; an unconditional one would have stored its event after the foreign one.
	st, err := js.Stream(ctx, EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	last, err := st.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	em, _ := NewEmitterAfter(pub, job.ID, "urn:sindri:worker:b", 1, last.Sequence)
	if ev, err := em.Emit(ctx, &Accepted{Worker: "b", Attempt: 1}); err != nil || ev.Seq != 2 {
		t.Fatalf("Emit after the read history = %v, %v; want seq 2", ev, err)
	}
	storeForeign(3)
	if _, err := em.Emit(ctx, &Started{Worker: "b", Attempt: 1}); !errors.As(err, &taken) || taken.Seq != 3 {
		t.Fatalf("Emit after a foreign event = %v, want a *SeqTakenError for seq 3", err)
	}
	if em.Seq() != 2 {
		t.Errorf("Seq() after a refused publish = %d, want 2", em.Seq())
	}
	if n := len(storedEvents(t, js, job.ID)); n != 3 {
		t.Errorf("stored %d events, want 3 (the refused one is not stored)", n)
	}
}
