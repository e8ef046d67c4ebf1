package executor_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// storeRawEvent stores body as event seq of jobID the way a publisher does (Nats-Msg-Id =
// "<job-id>-<seq>"), whatever body holds.
func storeRawEvent(t *testing.T, b *bus, jobID string, seq uint64, body string) {
	t.Helper()
	msg := &nats.Msg{Subject: "sindri.events." + jobID, Data: []byte(body), Header: nats.Header{}}
	if _, err := b.js.PublishMsg(context.Background(), msg, jetstream.WithMsgID(events.EventID(jobID, seq))); err != nil {
		t.Fatal(err)
	}
}

// followReadable is follow that skips events this code cannot decode.
func followReadable(t *testing.T, b *bus, jobID string) []*events.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitEvents)
	defer cancel()
	var out []*events.Envelope
	for ev, err := range events.Follow(ctx, b.js, jobID) {
		if errors.Is(err, events.ErrUnknownEventType) || errors.Is(err, events.ErrMalformedEvent) {
			continue
		}
		if err != nil {
			t.Fatalf("follow %s: %v (got %v)", jobID, err, types(out))
		}
		out = append(out, ev)
	}
	return out
}

// TestHistoryWithUnreadableLastEvent: a redelivered job whose last stored event cannot be
// decoded (a type of a newer executor, data that does not fit its type, no seq in the body)
// still runs, and its events continue after that event's number. A newer version of a
// terminal event ends the job.
func TestHistoryWithUnreadableLastEvent(t *testing.T) {
	t.Parallel()
	envelope := func(jobID string, seq uint64, typ, data string) string {
		return fmt.Sprintf(`{"specversion":"1.0","id":"%s","source":"urn:sindri:executor:newer","type":"%s","subject":"%s","time":"%s","datacontenttype":"application/json","seq":%d,"data":%s}`,
			events.EventID(jobID, seq), typ, jobID, time.Now().UTC().Format(time.RFC3339Nano), seq, data)
	}
	tests := map[string]struct {
		last     func(jobID string) string
		wantEnd  events.Type
		wantRuns int
	}{
		"unknown type from a newer executor": {
			last:    func(id string) string { return envelope(id, 3, "dev.sindri.job.progress.v2", `{"phase":"x"}`) },
			wantEnd: events.TypeSucceeded, wantRuns: 1,
		},
		"data that does not match its type": {
			last:    func(id string) string { return envelope(id, 3, string(events.TypeLog), `"not an object"`) },
			wantEnd: events.TypeSucceeded, wantRuns: 1,
		},
		"no seq in the body": {
			last:    func(string) string { return `{"garbage":` },
			wantEnd: events.TypeSucceeded, wantRuns: 1,
		},
		"newer version of a terminal type": {
			last:    func(id string) string { return envelope(id, 3, "dev.sindri.job.succeeded.v2", `{"whatever":1}`) },
			wantEnd: "", wantRuns: 0,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := startBus(t)
			fake := providertest.NewFake()
			env := "hist"
			j := newJob(t, jobs.KindDeploy, env, b.bump(t, env, false))
			// What an earlier delivery left: accepted, started (attempt 1), then the
			// unreadable event at seq 3.
			em, err := events.NewEmitter(b.pub, j.ID, "urn:sindri:executor:earlier", 0)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, d := range []events.Data{
				&events.Accepted{Worker: "earlier", Attempt: 1, Kind: j.Kind, Env: j.Env, Provider: j.Provider, Generation: j.Generation},
				&events.Started{Worker: "earlier", Attempt: 1},
			} {
				if _, err := em.Emit(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			storeRawEvent(t, b, j.ID, 3, tc.last(j.ID))
			b.publish(t, j)
			runExecutor(t, b, testConfig(fake))

			if tc.wantEnd == "" {
				waitFor(t, func() bool { return streamEmpty(t, b) })
			} else {
				evs := followReadable(t, b, j.ID)
				wantTerminal(t, evs, tc.wantEnd)
				for _, ev := range evs[2:] {
					if ev.Seq <= 3 {
						t.Errorf("event %s has seq %d, want > 3 (after the unreadable event)", ev.Type, ev.Seq)
					}
				}
				var started *events.Started
				for _, ev := range evs {
					if s, ok := ev.Data.(*events.Started); ok {
						started = s
					}
				}
				if started == nil || started.Attempt != 2 {
					t.Errorf("last started = %+v, want attempt 2", started)
				}
			}
			if got := fake.CountOp(env, providertest.OpDeploy); got != tc.wantRuns {
				t.Errorf("deploys = %d, want %d", got, tc.wantRuns)
			}
		})
	}
}
