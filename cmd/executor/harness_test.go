package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/internal/testports"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// Helper mode: the test binary re-executed with SINDRI_EXECUTOR_HELPER=1 is an executor
// process whose only provider is a providertest.Fake sharing SINDRI_FAKE_DIR with the test.
// Everything else is configured the way an operator would: SINDRI_* variables.
func TestMain(m *testing.M) {
	if os.Getenv("SINDRI_EXECUTOR_HELPER") == "1" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

func helperMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	delay, _ := time.ParseDuration(os.Getenv("SINDRI_FAKE_STEP_DELAY"))
	fake := providertest.NewFake(providertest.WithDir(os.Getenv("SINDRI_FAKE_DIR")), providertest.WithStepDelay(delay))
	if err := runWith(ctx, nil, os.Getenv, os.Stdout, []providers.Provider{fake}); err != nil {
		fmt.Fprintln(os.Stderr, "executor:", err)
		return 1
	}
	return 0
}

// proc is an executor subprocess.
type proc struct {
	cmd  *exec.Cmd
	done chan error
	out  *lockedBuf
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startProc starts an executor subprocess against natsURL with the fake in fakeDir. env adds
// or overrides SINDRI_* settings.
func startProc(t testing.TB, natsURL, fakeDir string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"SINDRI_EXECUTOR_HELPER=1",
		"SINDRI_NATS_URL="+natsURL,
		"SINDRI_FAKE_DIR="+fakeDir,
		"SINDRI_PROVIDERS=fake",
		"SINDRI_METRICS_LISTEN=127.0.0.1:0",
		"SINDRI_LEASE_TTL=2s",
		"SINDRI_ACK_WAIT=3s",
		"SINDRI_DRAIN_TIMEOUT=2s",
		"SINDRI_CONCURRENCY=8",
		"SINDRI_LOG_LEVEL=info",
	)
	cmd.Env = append(cmd.Env, env...)
	p := &proc{cmd: cmd, done: make(chan error, 1), out: &lockedBuf{}}
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("executor pid %d output:\n%s", cmd.Process.Pid, tail(p.out.String(), 40))
		}
	})
	return p
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// kill sends SIGKILL and returns when the process is gone, with the time of death.
func (p *proc) kill(t testing.TB) time.Time {
	t.Helper()
	switch err := p.cmd.Process.Signal(syscall.SIGKILL); {
	case errors.Is(err, os.ErrProcessDone):
		// An executor started while the server restarts may fail to connect and exit 1, as it
		// should (its supervisor restarts it): not a failure of the test.
		t.Logf("pid %d had already exited:\n%s", p.cmd.Process.Pid, tail(p.out.String(), 5))
	case err != nil:
		t.Errorf("kill pid %d: %v\n%s", p.cmd.Process.Pid, err, tail(p.out.String(), 20))
	}
	<-p.done
	p.done <- nil // keep Cleanup's receive from blocking
	return time.Now()
}

func freePort(t testing.TB) int {
	t.Helper()
	// Below the ephemeral range (see testports): the test NATS server is stopped and started
	// again on this port, and meanwhile a port-0 bind or an outgoing connection must not take it.
	return testports.Free(t)
}

// testBus is an embedded, listening JetStream server with a fixed port (so it can restart on
// the same URL) and sindri's streams.
type testBus struct {
	emb  *events.Embedded
	url  string
	nc   *nats.Conn
	js   jetstream.JetStream
	envs *events.EnvStore
	pub  *events.Publisher
}

func startTestBus(t testing.TB) *testBus {
	t.Helper()
	ctx := context.Background()
	port := freePort(t)
	emb, err := events.StartEmbedded(ctx, events.EmbeddedOptions{StoreDir: t.TempDir(), Listen: true, Host: "127.0.0.1", Port: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	b := &testBus{emb: emb, url: "nats://127.0.0.1:" + strconv.Itoa(port)}
	b.connect(t, []string{b.url})
	if err := events.Setup(ctx, b.js, events.SetupOptions{}); err != nil {
		t.Fatal(err)
	}
	b.openEnvs(t)
	return b
}

func (b *testBus) connect(t testing.TB, urls []string) {
	t.Helper()
	nc, err := events.Connect(context.Background(), events.ConnectOptions{URLs: urls, Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	b.nc, b.js, b.pub = nc, js, events.NewPublisher(js)
}

func (b *testBus) openEnvs(t testing.TB) {
	t.Helper()
	envs, err := events.OpenEnvStore(context.Background(), b.js)
	if err != nil {
		t.Fatal(err)
	}
	b.envs = envs
}

const sindriYAML = "version: \"3.0\"\nname: demo\ndeployment:\n  provider: docker\n  image: local/demo:1\n"

func makeJob(t testing.TB, kind jobs.Kind, env string, gen uint64) *jobs.Job {
	t.Helper()
	j, err := jobs.New(kind, env, providertest.FakeName)
	if err != nil {
		t.Fatal(err)
	}
	j.Generation, j.Repo, j.PR, j.Trigger = gen, "sindri/demo", 1, "pull_request.synchronize"
	j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: sindriYAML}
	return j
}

// retry calls f until it succeeds or 30 s pass (the bus may be restarting).
func retry(t testing.TB, what string, f func(ctx context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := f(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *testBus) bump(t testing.TB, env string, closing bool) uint64 {
	t.Helper()
	var g uint64
	retry(t, "bump "+env, func(ctx context.Context) error {
		var err error
		g, err = b.envs.BumpDesired(ctx, env, closing)
		if errors.Is(err, events.ErrEnvClosed) {
			return nil // a late deploy of a closed env keeps the current generation
		}
		return err
	})
	return g
}

func (b *testBus) publish(t testing.TB, j *jobs.Job) {
	t.Helper()
	retry(t, "publish "+j.ID, func(ctx context.Context) error {
		_, err := b.pub.PublishJob(ctx, j, j.IdempotencyKey("test"))
		return err
	})
}

// terminal returns the terminal event of jobID, following through reconnects.
func (b *testBus) terminal(t testing.TB, jobID string, timeout time.Duration) *events.Envelope {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		var last *events.Envelope
		for ev, err := range events.Follow(ctx, b.js, jobID) {
			if err != nil {
				break
			}
			last = ev
		}
		cancel()
		if last != nil && last.Type.Terminal() {
			return last
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("job %s: no terminal event within %s", jobID, timeout)
	return nil
}

func dataJSON(ev *events.Envelope) string {
	b, _ := json.Marshal(ev.Data)
	return string(b)
}

// collectTerminals follows every event on the bus and returns the terminal event of each job
// in js, waiting up to timeout for all of them (re-subscribing across server restarts).
func (b *testBus) collectTerminals(t testing.TB, js []*jobs.Job, timeout time.Duration) map[string]*events.Envelope {
	t.Helper()
	want := map[string]bool{}
	for _, j := range js {
		want[j.ID] = true
	}
	got := map[string]*events.Envelope{}
	deadline := time.Now().Add(timeout)
	var startSeq uint64 = 1
	for len(got) < len(want) && time.Now().Before(deadline) {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		cons, err := b.js.OrderedConsumer(ctx, events.EventsStream, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{events.EventsSubjectAll}, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: startSeq,
		})
		if err != nil {
			cancel()
			time.Sleep(100 * time.Millisecond)
			continue
		}
		// Batches, not Next: each Next is one pull request, a round trip per event, which
		// makes reading the tens of thousands of events of a large run take minutes.
		// A failed pull (the consumer's server went away: "no responders") ends this
		// consumer; the outer loop makes a new one from the next unread sequence.
		for len(got) < len(want) {
			batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
			if err != nil {
				break
			}
			for m := range batch.Messages() {
				if md, err := m.Metadata(); err == nil {
					startSeq = md.Sequence.Stream + 1
				}
				ev, err := events.Decode(m.Data())
				if err != nil || !ev.Type.Terminal() || !want[ev.Subject] {
					continue
				}
				got[ev.Subject] = ev
			}
			if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) {
				break
			}
		}
		cancel()
	}
	return got
}

// diagnose logs what the bus knows about a job that did not finish.
func (b *testBus) diagnose(t testing.TB, j *jobs.Job) {
	t.Helper()
	fctx, fcancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer fcancel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var seen []string
	for ev, err := range events.Follow(fctx, b.js, j.ID) {
		if err != nil {
			break
		}
		seen = append(seen, string(ev.Type)+" "+dataJSON(ev))
	}
	t.Logf("events of %s: %q", j.ID, seen)
	if st, err := b.js.Stream(ctx, events.JobsStream); err == nil {
		if m, err := st.GetLastMsgForSubject(ctx, "sindri.jobs.fake"); err == nil {
			t.Logf("last queued job message: seq %d", m.Sequence)
		}
	}
	if st, err := b.js.Stream(ctx, events.JobsStream); err == nil {
		if info, err := st.Info(ctx); err == nil {
			t.Logf("SINDRI_JOBS: %d messages, first %d last %d", info.State.Msgs, info.State.FirstSeq, info.State.LastSeq)
		}
	}
	if c, err := b.js.Consumer(ctx, events.JobsStream, "sindri-exec-fake"); err == nil {
		if info, err := c.Info(ctx); err == nil {
			t.Logf("consumer: pending %d ack-pending %d redelivered %d delivered %+v ackfloor %+v", info.NumPending, info.NumAckPending, info.NumRedelivered, info.Delivered, info.AckFloor)
		}
	}
	if rec, _, err := b.envs.Get(ctx, j.Env); err == nil {
		t.Logf("env record: %+v", *rec)
	}
}
