package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// rssKiB reads VmRSS of pid from /proc.
func rssKiB(tb testing.TB, pid int) float64 {
	tb.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

// BenchmarkExecutorRSS reports the resident memory of an executor process when idle and with
// 10,000 jobs queued for it (8 in flight on a Fake that never finishes; the rest wait in the
// stream, not in the executor).
//
//	go test -run '^$' -bench ExecutorRSS -benchtime 1x ./cmd/executor
func BenchmarkExecutorRSS(b *testing.B) {
	for i := 0; i < b.N; i++ {
		bus := startTestBus(b)
		p := startProc(b, bus.url, b.TempDir(), "SINDRI_FAKE_STEP_DELAY=1h", "SINDRI_CONCURRENCY=8", "SINDRI_LOG_LEVEL=warn")
		ctx := context.Background()
		// Ready once its consumer exists.
		for {
			if _, err := bus.js.Consumer(ctx, events.JobsStream, executor.ConsumerPrefix+providertest.FakeName); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		idle := rssKiB(b, p.cmd.Process.Pid)
		const queued = 10000
		for n := 0; n < queued; n++ {
			j, err := jobs.New(jobs.KindDeploy, fmt.Sprintf("rss-%d", n), providertest.FakeName)
			if err != nil {
				b.Fatal(err)
			}
			j.Generation = 1
			j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: sindriYAML}
			raw, _ := j.Encode()
			if _, err := bus.js.PublishMsgAsync(&nats.Msg{Subject: "sindri.jobs." + providertest.FakeName, Data: raw}); err != nil {
				b.Fatal(err)
			}
		}
		<-bus.js.PublishAsyncComplete()
		cons, err := bus.js.Consumer(ctx, events.JobsStream, executor.ConsumerPrefix+providertest.FakeName)
		if err != nil {
			b.Fatal(err)
		}
		for {
			info, err := cons.Info(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if info.NumAckPending == 8 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		busy := rssKiB(b, p.cmd.Process.Pid)
		b.ReportMetric(idle/1024, "idle-RSS-MiB")
		b.ReportMetric(busy/1024, "10k-queued-RSS-MiB")
		p.kill(b)
	}
}
