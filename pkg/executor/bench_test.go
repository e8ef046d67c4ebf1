package executor_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// BenchmarkNoopJobVsRawJetStream measures one status job end to end (publish with ack, an
// executor pulls it, runs the Fake, publishes accepted/started/succeeded and acks, a follower's
// ordered consumer sees the terminal event) against the raw JetStream minimum for the same hops
// (publish with ack, a continuous pull delivers it, publish one reply with ack, an ordered
// consumer created after the publish receives it, as Follow's is), one job at a time, on the
// same R1 file-storage server. It reports both mean latencies and their ratio, and the
// medians and theirs.
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
	rawDur, fullDur := make([]time.Duration, b.N), make([]time.Duration, b.N)
	// Alternate which path goes first, so neither always runs right after the other's cleanup.
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if i%2 == 0 {
			raw(i)
			t1 := time.Now()
			full()
			fullDur[i] = time.Since(t1)
			rawDur[i] = t1.Sub(t0)
		} else {
			full()
			t1 := time.Now()
			raw(i)
			rawDur[i] = time.Since(t1)
			fullDur[i] = t1.Sub(t0)
		}
	}
	b.StopTimer()
	rawSum, fullSum := sum(rawDur), sum(fullDur)
	b.ReportMetric(float64(rawSum.Microseconds())/float64(b.N), "raw-µs/job")
	b.ReportMetric(float64(fullSum.Microseconds())/float64(b.N), "sindri-µs/job")
	b.ReportMetric(float64(fullSum)/float64(rawSum), "ratio")
	// The medians as well: on a shared machine a few jobs that wait for a CPU move the means.
	rawMed, fullMed := median(rawDur), median(fullDur)
	b.ReportMetric(float64(rawMed.Microseconds()), "raw-p50-µs")
	b.ReportMetric(float64(fullMed.Microseconds()), "sindri-p50-µs")
	b.ReportMetric(float64(fullMed)/float64(rawMed), "p50-ratio")
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkThroughput measures jobs per second through one executor (concurrency 64, R1 file
// storage): n jobs (b.N, at least minThroughputJobs so that the drain outlasts its start) are
// queued, then one executor drains them, timed from Run (New, which binds the consumer, is
// set-up like the raw consumer's creation). Two job mixes: status jobs (read-only: no lease,
// no env record) and deploys of distinct environments (lease, generation check, env record
// update, log and progress events). Each also drains n messages through the raw JetStream
// minimum on the same server first (64 workers on one pull consumer, each publishing one
// reply with ack, then acking, as the executor does: without waiting for a confirmation),
// and reports raw-jobs/s and the ratio of the two. Both drains
// also report the CPU time the process (executor, client and embedded server together) spent
// per job, which depends far less than the rates on what else the machine runs.
//
//	go test -run '^$' -bench Throughput -benchtime 3000x ./pkg/executor
func BenchmarkThroughput(b *testing.B) {
	for _, kind := range []jobs.Kind{jobs.KindStatus, jobs.KindDeploy} {
		b.Run(string(kind), func(b *testing.B) {
			n := max(b.N, minThroughputJobs)
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
			for i := 0; i < n; i++ {
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
			rawRate, rawCPU := rawThroughput(b, bus, string(kind), n, 64)
			cfg := testConfig(providertest.NewFake())
			cfg.Concurrency = 64
			rctx, cancel := context.WithCancel(ctx)
			defer cancel()
			ex, err := executor.New(rctx, bus.js, cfg)
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan error, 1)
			b.ResetTimer()
			cpu0 := processCPU()
			t0 := time.Now()
			go func() { done <- ex.Run(rctx) }()
			for succeeded.Load() < int64(n) {
				if time.Since(t0) > 5*time.Minute {
					b.Fatalf("only %d of %d jobs succeeded", succeeded.Load(), n)
				}
				time.Sleep(time.Millisecond)
			}
			elapsed := time.Since(t0)
			cpu := processCPU() - cpu0
			b.StopTimer()
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			rate := float64(n) / elapsed.Seconds()
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n), "ns/op")
			b.ReportMetric(rate, "jobs/s")
			b.ReportMetric(rawRate, "raw-jobs/s")
			b.ReportMetric(rawRate/rate, "ratio")
			if cpu > 0 && rawCPU > 0 {
				b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/job")
				b.ReportMetric(float64(rawCPU.Microseconds())/float64(n), "raw-cpu-µs/job")
			}
		})
	}
}

// minThroughputJobs is the fewest jobs BenchmarkThroughput drains, whatever -benchtime says:
// with a few hundred the drain lasts about as long as the executor's start.
const minThroughputJobs = 2000

// rawThroughput queues n messages on a work-queue stream of its own, then drains them with
// workers goroutines on one continuous pull (each message: one reply published with ack,
// then the ack) and returns the drain's messages per second and the process CPU time it took.
func rawThroughput(b *testing.B, bus *bus, name string, n, workers int) (float64, time.Duration) {
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
	cpu0 := processCPU()
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
					_ = m.Ack()
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
	cpu := processCPU() - cpu0
	it.Stop()
	wg.Wait()
	return float64(n) / elapsed.Seconds(), cpu
}

// processCPU returns the CPU time (user and system) this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
