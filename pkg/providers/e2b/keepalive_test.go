package e2b_test

import (
	"context"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// TestExtendTimeout: with more than half of its timeout left a sandbox is not touched; with
// less, POST /timeout sets it again from now; a paused sandbox stays paused and unextended.
func TestExtendTimeout(t *testing.T) {
	t.Parallel()
	rec := &rest.Recorder{}
	p, f := newTestProvider(t, rec)
	ctx := context.Background()
	s := newSpec(t, "keep-pr-1", baseYAML) // timeout 600
	if _, err := p.Deploy(ctx, s, providers.NopReporter{}); err != nil {
		t.Fatal(err)
	}
	id := f.Sandboxes(s.Env)[0]
	posts := func() int {
		n := 0
		for _, c := range rec.Calls() {
			if c.Method == "POST" {
				n++
			}
		}
		return n
	}
	bare := &providers.Spec{Env: s.Env, Labels: s.Labels} // what the reaper passes: no config

	rec.Reset()
	if _, err := p.ExtendTimeout(ctx, bare); err != nil || posts() != 0 {
		t.Fatalf("fresh sandbox: ExtendTimeout %v, %d POST(s); want none", err, posts())
	}
	f.EndIn(id, time.Minute)
	until, err := p.ExtendTimeout(ctx, bare)
	if err != nil || posts() != 1 {
		t.Fatalf("a minute left: ExtendTimeout %v, %d POST(s); want one", err, posts())
	}
	if sb, _ := f.Sandbox(id); sb.EndAt.Before(time.Now().Add(9*time.Minute)) || until.Before(time.Now().Add(9*time.Minute)) {
		t.Fatalf("after the extension the sandbox ends %v (reported %v), want about 10 minutes from now", sb.EndAt, until)
	}
	if err := p.Stop(ctx, bare); err != nil {
		t.Fatal(err)
	}
	rec.Reset()
	if until, err := p.ExtendTimeout(ctx, bare); err != nil || !until.IsZero() || posts() != 0 {
		t.Fatalf("paused: ExtendTimeout = %v, %v with %d POST(s); want zero, nil, none", until, err, posts())
	}
	if sb, _ := f.Sandbox(id); sb.State != "paused" {
		t.Fatalf("the keep-alive resumed the sandbox (%s)", sb.State)
	}
}
