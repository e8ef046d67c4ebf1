package executor

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/internal/testports"
	"github.com/sindri/deploy/v3/pkg/events"
)

// longFetch is far longer than any wait below: a fetch context that ends sooner was ended by
// the watch.
const longFetch = time.Minute

// A fetch waiting on the consumer's leader ends as soon as another node is elected leader,
// instead of at its expiry: on a real 3-node cluster, the leader of an R3 consumer on
// SINDRI_JOBS is shut down. The watching client is connected to a node that stays, so it
// learns of the election from the advisory alone. (A graceful shutdown also tells the pull
// requests waiting on it; a crashed or cut-off leader does not, and only the advisory ends them
// then.) Waits started after the election are not cut short by it; the retry sleep of a fetch
// that failed ends at the election too.
func TestFetchEndsWhenConsumerLeaderIsElected(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cl, err := events.StartCluster(ctx, events.ClusterOptions{BaseDir: t.TempDir()})
	fatalIf(t, err)
	t.Cleanup(cl.Close)
	js := jetStreamAt(t, cl.URLs()...)
	const name = "leadertest"
	eventually(t, "R3 stream and consumer", func(ctx context.Context) error {
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: events.JobsStream,
			Subjects: []string{events.JobsSubjectPrefix + ">"}, Retention: jetstream.WorkQueuePolicy, Replicas: 3})
		if err == nil {
			_, err = js.CreateOrUpdateConsumer(ctx, events.JobsStream, ConsumerConfig(name, events.JobsSubjectPrefix+name, time.Minute))
		}
		return err
	})
	leader := -1
	eventually(t, "a consumer leader", func(context.Context) error {
		for i, n := range cl.Nodes {
			if s := n.Server(); s != nil && s.JetStreamIsConsumerLeader("$G", events.JobsStream, ConsumerPrefix+name) {
				leader = i
				return nil
			}
		}
		return context.DeadlineExceeded
	})
	w := startWatch(t, jetStreamAt(t, cl.Nodes[(leader+1)%len(cl.Nodes)].ClientURL()).Conn())
	fctx, cancel := w.fetchContext(ctx, longFetch)
	defer cancel()
	slept := make(chan error, 1)
	go func() { slept <- w.sleep(ctx, longFetch) }()
	t0 := time.Now()
	cl.Nodes[leader].Shutdown()
	wantEndedByElection(t, fctx, "the leader's shutdown")
	t.Logf("fetch ended %s after the leader's shutdown", time.Since(t0))
	select {
	case err := <-slept:
		if err != nil {
			t.Errorf("sleep: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("the election did not end the sleep")
	}

	later, cancel2 := w.fetchContext(ctx, 300*time.Millisecond)
	defer cancel2()
	<-later.Done()
	if fetchEndedByElection(later) {
		t.Error("a fetch started after the election was ended by it")
	}
}

// A reconnect ends the fetches in flight too (an advisory sent while the connection was down
// is lost), and a nil watch is a plain timeout.
func TestFetchEndsOnReconnect(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, err := events.StartEmbedded(ctx, events.EmbeddedOptions{Listen: true, Port: testports.Free(t)})
	fatalIf(t, err)
	t.Cleanup(srv.Close)
	w := startWatch(t, jetStreamAt(t, srv.ClientURL()).Conn())
	fctx, cancel := w.fetchContext(ctx, longFetch)
	defer cancel()
	fatalIf(t, srv.Restart(ctx))
	wantEndedByElection(t, fctx, "the reconnect")

	var none *leaderWatch
	plain, cancel3 := none.fetchContext(ctx, 10*time.Millisecond)
	defer cancel3()
	<-plain.Done()
	if fetchEndedByElection(plain) || plain.Err() != context.DeadlineExceeded {
		t.Errorf("nil watch: %v, cause %v", plain.Err(), context.Cause(plain))
	}
	none.stop()
}

// jetStreamAt connects to urls (reconnecting quickly) for the test's duration.
func jetStreamAt(t *testing.T, urls ...string) jetstream.JetStream {
	t.Helper()
	var all string
	for i, u := range urls {
		if i > 0 {
			all += ","
		}
		all += u
	}
	nc, err := nats.Connect(all, nats.ReconnectWait(20*time.Millisecond), nats.MaxReconnects(-1))
	fatalIf(t, err)
	t.Cleanup(nc.Close)
	return jetStreamOn(t, nc)
}

func jetStreamOn(t *testing.T, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(nc)
	fatalIf(t, err)
	return js
}

// wantEndedByElection fails unless fctx ends within 30 s, as by an election, after what.
func wantEndedByElection(t *testing.T, fctx context.Context, what string) {
	t.Helper()
	select {
	case <-fctx.Done():
	case <-time.After(30 * time.Second):
		t.Fatalf("the fetch context did not end within 30s of %s", what)
	}
	if !fetchEndedByElection(fctx) {
		t.Fatalf("the fetch context ended with %v after %s, not as by an election", context.Cause(fctx), what)
	}
}

func startWatch(t *testing.T, nc *nats.Conn) *leaderWatch {
	t.Helper()
	w := watchLeaders(nc)
	if w == nil {
		t.Fatal("watchLeaders returned nil on a connection with every permission")
	}
	t.Cleanup(w.stop)
	return w
}

// eventually calls f until it succeeds, for at most 30 s.
func eventually(t *testing.T, what string, f func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for err := f(ctx); err != nil; err = f(ctx) {
		if ctxwait.Sleep(ctx, 20*time.Millisecond) != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
}

func fatalIf(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
