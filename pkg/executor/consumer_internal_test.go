package executor

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/events/eventstest"
)

// An executor binds to the consumer as it is when its settings are the ones it wants, without a
// create or update request (each is a meta-layer proposal); it creates a missing one and updates
// one whose settings differ.
func TestBindConsumerUpdatesOnlyWhenSettingsDiffer(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	_, nc, js := eventstest.Start(t, events.EmbeddedOptions{}, true)
	var creates atomic.Int32
	sub, err := nc.Subscribe("$JS.API.CONSUMER.CREATE.>", func(*nats.Msg) { creates.Add(1) })
	fatalIf(t, err)
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	bind := func(ackWait time.Duration) {
		t.Helper()
		cons, err := bindConsumer(ctx, js, ConsumerConfig("bindtest", events.JobsSubjectPrefix+"bindtest", ackWait))
		fatalIf(t, err)
		if got := cons.CachedInfo().Config.AckWait; got != ackWait {
			t.Errorf("bound consumer has ack wait %s, want %s", got, ackWait)
		}
		fatalIf(t, nc.Flush())
	}
	for _, c := range []struct {
		ackWait time.Duration
		creates int32
	}{
		{30 * time.Second, 1}, // missing: created
		{30 * time.Second, 1}, // the same: bound as it is
		{30 * time.Second, 1},
		{10 * time.Second, 2}, // another ack wait: updated
		{10 * time.Second, 2},
	} {
		bind(c.ackWait)
		if got := creates.Load(); got != c.creates {
			t.Fatalf("after binding with ack wait %s: %d create requests, want %d", c.ackWait, got, c.creates)
		}
	}
}
