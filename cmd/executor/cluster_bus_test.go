package main

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// clusterBus is a 3-node JetStream cluster of embedded servers on fixed 127.0.0.1 client and
// route ports, so that a node, or the whole cluster, restarts on the URLs its clients know;
// sindri's streams are replicated on all three nodes (R3).
type clusterBus struct {
	*testBus
	nodes []*events.Embedded
	urls  []string
}

func startClusterBus(t testing.TB) *clusterBus {
	t.Helper()
	const n = 3
	base := t.TempDir()
	client, route := make([]int, n), make([]string, n)
	routePorts := make([]int, n)
	for i := range n {
		client[i] = freePort(t)
		routePorts[i] = freePort(t)
		route[i] = "nats://127.0.0.1:" + strconv.Itoa(routePorts[i])
	}
	c := &clusterBus{testBus: &testBus{}}
	ctx := context.Background()
	for i := range n {
		node, err := events.StartEmbedded(ctx, events.EmbeddedOptions{
			StoreDir: filepath.Join(base, "n"+strconv.Itoa(i)), Listen: true, Host: "127.0.0.1", Port: client[i],
			ServerName: "n" + strconv.Itoa(i), ReadyTimeout: 20 * time.Second,
			Cluster: &events.ClusterRoute{Name: "chaos", Host: "127.0.0.1", Port: routePorts[i], Routes: route},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(node.Close)
		c.nodes = append(c.nodes, node)
		c.urls = append(c.urls, "nats://127.0.0.1:"+strconv.Itoa(client[i]))
	}
	c.url = strings.Join(c.urls, ",")
	c.connect(t, c.urls)
	retry(t, "setup R3 streams", func(ctx context.Context) error {
		return events.Setup(ctx, c.js, events.SetupOptions{Replicas: 3})
	})
	retry(t, "open env store", func(ctx context.Context) error {
		envs, err := events.OpenEnvStore(ctx, c.js)
		c.envs = envs
		return err
	})
	return c
}

// streamLeader returns the index of the running node that leads stream, or -1.
func (c *clusterBus) streamLeader(stream string) int {
	for i, n := range c.nodes {
		if s := n.Server(); s != nil && s.JetStreamIsStreamLeader(jetstreamAccount, stream) {
			return i
		}
	}
	return -1
}

// waitStreamLeader polls until a running node other than not leads stream and returns when
// it was seen; ok is false after timeout.
func (c *clusterBus) waitStreamLeader(stream string, not int, timeout time.Duration) (time.Time, bool) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if l := c.streamLeader(stream); l >= 0 && l != not {
			return time.Now(), true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Time{}, false
}

// healthy reports whether every node runs and reports JetStream healthy: its meta layer,
// streams and consumers current (a restarted node has caught up).
func (c *clusterBus) healthy() bool {
	for _, n := range c.nodes {
		s := n.Server()
		if s == nil || s.Healthz(nil).Status != "ok" {
			return false
		}
	}
	return true
}

// waitHealthy polls healthy until it holds or timeout passes.
func (c *clusterBus) waitHealthy(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !c.healthy() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// sindriGroups are the replicated groups a job, or an executor's start, needs: the streams and
// KV buckets it touches and the executors' consumer of the fake provider.
var sindriGroups = []struct{ stream, consumer string }{
	{events.JobsStream, ""}, {events.JobsStream, events.ExecutorConsumerPrefix + providertest.FakeName},
	{events.EventsStream, ""}, {"KV_" + events.EnvsBucket, ""}, {"KV_" + events.LocksBucket, ""},
	{"KV_" + cost.LedgerBucket, ""},
}

// waitGroupLeaders polls until every group in sindriGroups has a leader on a running node other
// than not, and returns when that was seen; ok is false after timeout.
func (c *clusterBus) waitGroupLeaders(not int, timeout time.Duration) (time.Time, bool) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		led := 0
		for _, g := range sindriGroups {
			for i, n := range c.nodes {
				s := n.Server()
				if i == not || s == nil {
					continue
				}
				if (g.consumer == "" && s.JetStreamIsStreamLeader(jetstreamAccount, g.stream)) ||
					(g.consumer != "" && s.JetStreamIsConsumerLeader(jetstreamAccount, g.stream, g.consumer)) {
					led++
					break
				}
			}
		}
		if led == len(sindriGroups) {
			return time.Now(), true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Time{}, false
}

// restartAll shuts every node down, then starts them all again at once on their stores (a
// JetStream cluster needs a quorum of its peers back before it elects leaders).
func (c *clusterBus) restartAll(ctx context.Context) error {
	for _, n := range c.nodes {
		n.Shutdown()
	}
	var wg sync.WaitGroup
	errs := make([]error, len(c.nodes))
	for i, n := range c.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = n.Restart(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
