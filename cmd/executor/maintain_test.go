package main

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// maintained is a provider with housekeeping that fails on its first pass.
type maintained struct {
	*providertest.Fake
	passes atomic.Int32
}

func (m *maintained) Maintain(context.Context) error {
	if m.passes.Add(1) == 1 {
		return errors.New("proxy unreachable")
	}
	return nil
}

// TestMaintainRunsAtStartAndAgain: a provider's housekeeping runs when the executor starts and
// again on every tick; a failure is logged with the provider's name and does not stop the loop;
// providers without housekeeping are left alone.
func TestMaintainRunsAtStartAndAgain(t *testing.T) {
	m := &maintained{Fake: providertest.NewFake(providertest.WithName("withhousekeeping"))}
	var reg providers.Registry
	for _, p := range []providers.Provider{m, providertest.NewFake()} {
		if err := reg.Register(p); err != nil {
			t.Fatal(err)
		}
	}
	var logs lockedBuf
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		maintain(ctx, &reg, 5*time.Millisecond, zerolog.New(&logs))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for m.passes.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if n := m.passes.Load(); n < 3 {
		t.Fatalf("Maintain ran %d times, want the start-up pass and at least two more", n)
	}
	out := logs.String()
	if strings.Count(out, "provider housekeeping failed") != 1 || !strings.Contains(out, `"provider":"withhousekeeping"`) || !strings.Contains(out, "proxy unreachable") {
		t.Errorf("log = %s, want one warning naming the provider and the error", out)
	}
}

// TestMaintainWithoutMaintainers returns at once when no provider has housekeeping.
func TestMaintainWithoutMaintainers(t *testing.T) {
	var reg providers.Registry
	if err := reg.Register(providertest.NewFake()); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		maintain(context.Background(), &reg, time.Hour, zerolog.Nop())
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("maintain kept running with nothing to maintain")
	}
}
