package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/events/eventstest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// startShared starts a NATS server with a client listener, as an operator's deployment.
func startShared(t *testing.T) (*events.Embedded, jetstream.JetStream) {
	t.Helper()
	srv, _, js := eventstest.Start(t, events.EmbeddedOptions{StoreDir: t.TempDir(), Listen: true}, false)
	return srv, js
}

// The action connecting to a shared deployment must not rewrite what the operator configured.
func TestConnectLeavesOperatorSettingsAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, js := startShared(t)
	operator := events.SetupOptions{EventsMaxAge: 30 * 24 * time.Hour, JobsDuplicateWindow: time.Hour, LockTTL: time.Hour}
	if err := events.Setup(ctx, js, operator); err != nil {
		t.Fatal(err)
	}
	bus, err := Connect(ctx, events.ConnectOptions{URLs: []string{srv.ClientURL()}}, events.SetupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bus.Close()
	st, err := js.Stream(ctx, events.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.CachedInfo().Config.MaxAge; got != operator.EventsMaxAge {
		t.Errorf("%s max age = %s after the action connected, want the operator's %s", events.EventsStream, got, operator.EventsMaxAge)
	}
	jst, err := js.Stream(ctx, events.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	if got := jst.CachedInfo().Config.Duplicates; got != time.Hour {
		t.Errorf("%s duplicate window = %s, want the operator's 1h", events.JobsStream, got)
	}
}

// A first connection to an empty deployment creates the streams and buckets.
func TestConnectCreatesWhatIsMissing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, js := startShared(t)
	bus, err := Connect(ctx, events.ConnectOptions{URLs: []string{srv.ClientURL()}}, events.SetupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	for _, name := range []string{events.JobsStream, events.EventsStream} {
		if _, err := js.Stream(ctx, name); err != nil {
			t.Errorf("stream %s: %v", name, err)
		}
	}
}

// On a shared bus, a job for a provider no executor has ever served is refused before
// anything is published.
func TestRunRefusesProviderWithoutExecutors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, js := startShared(t)
	h := newHarness(t)
	deps := Deps{
		Out: &ConsoleOutput{W: &h.out},
		OpenBus: func(ctx context.Context, _ []secrets.Resolved) (*Bus, error) {
			return Connect(ctx, events.ConnectOptions{URLs: []string{srv.ClientURL()}}, events.SetupOptions{})
		},
	}
	req := Request{
		Intent:    prIntent(action.KindDeploy, "pull_request.opened"),
		Inputs:    action.Inputs{Config: "sindri.yaml", Provider: "fly", Wait: true, Timeout: time.Minute},
		Workspace: h.dir,
		LookupEnv: func(string) (string, bool) { return "", false },
	}
	if code := Run(ctx, req, deps); code != ExitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, ExitFailed, h.out.String())
	}
	if !strings.Contains(h.out.String(), `provider fly is not available here; available: none. No executor serves it`) {
		t.Errorf("no clear error:\n%s", h.out.String())
	}
	st, err := js.Stream(ctx, events.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.CachedInfo().State.Msgs; n != 0 {
		t.Errorf("%d job(s) published, want none", n)
	}
}

// On the embedded default, a job for a provider this action was not built with is refused at
// once, naming what is available, and nothing is published (it used to wait for the whole
// timeout).
func TestRunEmbeddedRefusesUnservedProvider(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := h.run(prIntent(action.KindDeploy, "pull_request.opened"), func(r *Request) {
		r.Inputs.Provider = "fly"
		r.Inputs.Timeout = 10 * time.Minute
	})
	if ctx.Err() != nil {
		t.Fatal("the refusal waited")
	}
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, ExitFailed, h.out.String())
	}
	if want := "provider fly is not available here; available: " + providertest.FakeName + "."; !strings.Contains(h.out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, h.out.String())
	}
	st, err := h.bus.JS.Stream(context.Background(), events.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.CachedInfo().State.Msgs; n != 0 {
		t.Errorf("%d job(s) published, want none", n)
	}
}
