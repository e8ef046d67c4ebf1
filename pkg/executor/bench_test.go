package executor_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// BenchmarkNoopJobVsRawJetStream measures one status job end to end (publish with ack, an
// executor pulls it, runs the Fake, publishes accepted/started/succeeded and acks, a follower's
// ordered consumer sees the terminal event) against the raw JetStream minimum for the same hops
// (publish with ack, a continuous pull delivers it, publish one reply with ack, an ordered
// consumer created after the publish receives it, as Follow's is), one job at a time, on the
// same R1 file-storage server. It reports both latencies and their ratio.
//
//	go test -run '^$' -bench NoopJobVsRaw -benchtime 500x ./pkg/executor
func BenchmarkNoopJobVsRawJetStream(b *testing.B) {
	bus := startBus(b)
	ctx := context.Background()
	// Raw path on its own streams.
	if _, err := bus.js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAWJOBS", Subjects: []string{"raw.jobs"}, Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	if _, err := bus.js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAWEVENTS", Subjects: []string{"raw.events.>"}, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	rawCons, err := bus.js.CreateOrUpdateConsumer(ctx, "RAWJOBS", jetstream.ConsumerConfig{Durable: "raw", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	// The raw "worker" keeps one continuous pull open (Messages), so a published job is pushed
	// to it at once, publishes its one reply with ack, then acks the job.
	rawIter, err := rawCons.Messages()
	if err != nil {
		b.Fatal(err)
	}
	defer rawIter.Stop()
	go func() {
		for {
			m, err := rawIter.Next()
			if err != nil {
				select {
				case <-stop:
					return
				default:
					continue
				}
			}
			_, _ = bus.js.Publish(ctx, "raw.events."+string(m.Data()), []byte("done"))
			_ = m.Ack()
		}
	}()
	raw := func(i int) {
		id := fmt.Sprintf("j%d", i)
		if _, err := bus.js.Publish(ctx, "raw.jobs", []byte(id)); err != nil {
			b.Fatal(err)
		}
		oc, err := bus.js.OrderedConsumer(ctx, "RAWEVENTS", jetstream.OrderedConsumerConfig{FilterSubjects: []string{"raw.events." + id}})
		if err != nil {
			b.Fatal(err)
		}
		it, err := oc.Messages()
		if err != nil {
			b.Fatal(err)
		}
		defer it.Stop()
		if _, err := it.Next(); err != nil {
			b.Fatal(err)
		}
	}

	fake := providertest.NewFake()
	cfg := testConfig(fake)
	cfg.Concurrency = 1
	runExecutor(b, bus, cfg)
	full := func() {
		j, err := jobs.New(jobs.KindStatus, "bench", providertest.FakeName)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bus.pub.PublishJob(ctx, j, j.ID); err != nil {
			b.Fatal(err)
		}
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		for ev, err := range events.Follow(fctx, bus.js, j.ID) {
			if err != nil {
				b.Fatal(err)
			}
			if ev.Type.Terminal() && ev.Type != events.TypeSucceeded {
				b.Fatalf("ended %s", ev.Type)
			}
		}
	}
	// Warm both paths.
	for i := 0; i < 20; i++ {
		raw(-i - 1)
		full()
	}
	b.ResetTimer()
	var rawDur, fullDur time.Duration
	// Alternate which path goes first, so neither always runs right after the other's cleanup.
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if i%2 == 0 {
			raw(i)
			t1 := time.Now()
			full()
			fullDur += time.Since(t1)
			rawDur += t1.Sub(t0)
		} else {
			full()
			t1 := time.Now()
			raw(i)
			rawDur += time.Since(t1)
			fullDur += t1.Sub(t0)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(rawDur.Microseconds())/float64(b.N), "raw-µs/job")
	b.ReportMetric(float64(fullDur.Microseconds())/float64(b.N), "sindri-µs/job")
	b.ReportMetric(float64(fullDur)/float64(rawDur), "ratio")
}

// BenchmarkThroughput measures jobs per second through one executor (concurrency 64, R1 file
// storage): b.N jobs are queued, then one executor drains them. Two job mixes: status jobs
// (read-only: no lease, no env record) and deploys of distinct environments (lease, generation
// check, env record update, log and progress events). Each also drains b.N messages through
// the raw JetStream minimum on the same server first (64 workers on one pull consumer, each
// publishing one reply with ack, then acking), and reports raw-jobs/s and the ratio of the two.
//
//	go test -run '^$' -bench Throughput -benchtime 3000x ./pkg/executor
func BenchmarkThroughput(b *testing.B) {
	for _, kind := range []jobs.Kind{jobs.KindStatus, jobs.KindDeploy} {
		b.Run(string(kind), func(b *testing.B) {
			bus := startBus(b)
			ctx := context.Background()
			var succeeded atomic.Int64
			sub, err := bus.nc.Subscribe(events.EventsSubjectAll, func(m *nats.Msg) {
				if m.Header.Get(events.HeaderType) == string(events.TypeSucceeded) {
					succeeded.Add(1)
				}
			})
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Unsubscribe()
			var acks []jetstream.PubAckFuture
			for i := 0; i < b.N; i++ {
				env := fmt.Sprintf("tp-%d", i)
				j, err := jobs.New(kind, env, providertest.FakeName)
				if err != nil {
					b.Fatal(err)
				}
				j.Generation = 1
				j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: testConfigText}
				raw, err := j.Encode()
				if err != nil {
					b.Fatal(err)
				}
				f, err := bus.js.PublishMsgAsync(&nats.Msg{Subject: "sindri.jobs." + providertest.FakeName, Data: raw, Header: nats.Header{events.HeaderMsgID: []string{j.ID}}})
				if err != nil {
					b.Fatal(err)
				}
				acks = append(acks, f)
			}
			select {
			case <-bus.js.PublishAsyncComplete():
			case <-time.After(60 * time.Second):
				b.Fatal("publishing timed out")
			}
			for _, f := range acks {
				select {
				case <-f.Ok():
				case err := <-f.Err():
					b.Fatal(err)
				}
			}
			rawRate := rawThroughput(b, bus, string(kind), b.N, 64)
			cfg := testConfig(providertest.NewFake())
			cfg.Concurrency = 64
			b.ResetTimer()
			t0 := time.Now()
			_, stop := runExecutor(b, bus, cfg)
			for succeeded.Load() < int64(b.N) {
				if time.Since(t0) > 5*time.Minute {
					b.Fatalf("only %d of %d jobs succeeded", succeeded.Load(), b.N)
				}
				time.Sleep(time.Millisecond)
			}
			elapsed := time.Since(t0)
			b.StopTimer()
			stop()
			rate := float64(b.N) / elapsed.Seconds()
			b.ReportMetric(rate, "jobs/s")
			b.ReportMetric(rawRate, "raw-jobs/s")
			b.ReportMetric(rawRate/rate, "ratio")
			_ = ctx
		})
	}
}

// rawThroughput queues n messages on a work-queue stream of its own, then drains them with
// workers goroutines on one continuous pull (each message: one reply published with ack,
// then the ack) and returns the drain's messages per second.
func rawThroughput(b *testing.B, bus *bus, name string, n, workers int) float64 {
	b.Helper()
	ctx := context.Background()
	stream := "RAWTP" + strings.ToUpper(name)
	if _, err := bus.js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{"rawtp." + name + ".jobs"}, Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	if _, err := bus.js.CreateStream(ctx, jetstream.StreamConfig{Name: stream + "EV", Subjects: []string{"rawtp." + name + ".events.>"}, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := bus.js.PublishAsync("rawtp."+name+".jobs", []byte(strconv.Itoa(i))); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-bus.js.PublishAsyncComplete():
	case <-time.After(60 * time.Second):
		b.Fatal("raw publishing timed out")
	}
	cons, err := bus.js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{Durable: "rawtp", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 20000})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	it, err := cons.Messages(jetstream.PullMaxMessages(workers))
	if err != nil {
		b.Fatal(err)
	}
	var done atomic.Int64
	finished := make(chan struct{})
	msgs := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for m := range msgs {
				if _, err := bus.js.Publish(ctx, "rawtp."+name+".events."+string(m.Data()), []byte("done")); err == nil {
					_ = m.DoubleAck(ctx)
				}
				if done.Add(1) == int64(n) {
					close(finished)
				}
			}
		})
	}
	go func() {
		for {
			m, err := it.Next()
			if err != nil {
				close(msgs)
				return
			}
			msgs <- m
		}
	}()
	select {
	case <-finished:
	case <-time.After(5 * time.Minute):
		b.Fatalf("raw: only %d of %d drained", done.Load(), n)
	}
	elapsed := time.Since(t0)
	it.Stop()
	wg.Wait()
	return float64(n) / elapsed.Seconds()
}
