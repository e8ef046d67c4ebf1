package events

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

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
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			js := newBus(t)
			la := &lostAck{Publisher: js}
			la.lose.Store(1)
			job := newJob(t, jobs.KindDeploy)
			em, _ := NewEmitter(NewPublisher(la), job.ID, "urn:sindri:worker:w", 0)
			if _, err := em.Emit(ctx, &Accepted{Worker: "w", Attempt: 1}); err == nil {
				t.Fatal("Emit with a lost ack succeeded")
			}
			ev, err := em.Emit(ctx, tc.next)
			if err != nil {
				t.Fatalf("Emit after a lost ack: %v", err)
			}
			if want := uint64(len(tc.wantWorker)); ev.Seq != want || em.Seq() != want {
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
			if len(got) != len(tc.wantWorker) {
				t.Fatalf("stored %v, want %v", got, tc.wantWorker)
			}
			for i := range got {
				if got[i] != tc.wantWorker[i] {
					t.Fatalf("stored %v, want %v", got, tc.wantWorker)
				}
			}
		})
	}
}
