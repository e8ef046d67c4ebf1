package events

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestSetupIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	_, js := connectJS(t, startServer(t))
	for i := range 3 {
		if err := Setup(ctx, js, SetupOptions{}); err != nil {
			t.Fatalf("Setup #%d: %v", i+1, err)
		}
	}
	jobs, err := js.Stream(ctx, JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := jobs.CachedInfo().Config
	if cfg.Retention != jetstream.WorkQueuePolicy || cfg.Storage != jetstream.FileStorage ||
		cfg.Duplicates < MinJobsDuplicateWindow || cfg.Subjects[0] != "sindri.jobs.>" {
		t.Errorf("SINDRI_JOBS config = %+v", cfg)
	}
	ev, err := js.Stream(ctx, EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	ecfg := ev.CachedInfo().Config
	if ecfg.Retention != jetstream.LimitsPolicy || ecfg.MaxAge != DefaultEventsMaxAge || ecfg.MaxBytes != DefaultEventsMaxBytes {
		t.Errorf("SINDRI_EVENTS config = %+v", ecfg)
	}
	locks, err := js.KeyValue(ctx, LocksBucket)
	if err != nil {
		t.Fatal(err)
	}
	st, err := locks.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.TTL() != DefaultLockTTL {
		t.Errorf("%s TTL = %s, want %s", LocksBucket, st.TTL(), DefaultLockTTL)
	}
	if _, err := js.KeyValue(ctx, EnvsBucket); err != nil {
		t.Errorf("%s: %v", EnvsBucket, err)
	}
}

func TestSetupUpdatesExistingStream(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	_, js := connectJS(t, startServer(t))
	// An operator created SINDRI_EVENTS by hand with other limits and a narrower subject.
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: EventsStream, Subjects: []string{"sindri.events.x"}, MaxAge: time.Hour, Storage: jetstream.FileStorage,
	}); err != nil {
		t.Fatal(err)
	}
	opts := SetupOptions{EventsMaxAge: 48 * time.Hour, EventsMaxBytes: 64 << 20, JobsDuplicateWindow: 30 * time.Minute}
	if err := Setup(ctx, js, opts); err != nil {
		t.Fatalf("Setup over an existing stream: %v", err)
	}
	s, err := js.Stream(ctx, EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if cfg.MaxAge != 48*time.Hour || cfg.MaxBytes != 64<<20 || cfg.Subjects[0] != EventsSubjectAll {
		t.Errorf("after Setup: max age %s, max bytes %d, subjects %v", cfg.MaxAge, cfg.MaxBytes, cfg.Subjects)
	}
	j, _ := js.Stream(ctx, JobsStream)
	if d := j.CachedInfo().Config.Duplicates; d != 30*time.Minute {
		t.Errorf("jobs duplicate window %s, want 30m", d)
	}
	// Buckets are updated too.
	if err := Setup(ctx, js, SetupOptions{LockTTL: 5 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	locks, _ := js.KeyValue(ctx, LocksBucket)
	if st, err := locks.Status(ctx); err != nil || st.TTL() != 5*time.Minute {
		t.Errorf("%s TTL after update: %v, %v", LocksBucket, st, err)
	}
}

func TestSetupShortEventRetention(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	_, js := connectJS(t, startServer(t))
	if err := Setup(ctx, js, SetupOptions{EventsMaxAge: time.Minute}); err != nil {
		t.Fatalf("Setup with 1m event retention: %v", err)
	}
	s, _ := js.Stream(ctx, EventsStream)
	if d := s.CachedInfo().Config.Duplicates; d != time.Minute {
		t.Errorf("events duplicate window %s, want it clamped to the 1m max age", d)
	}
}

func TestSetupRefusesImpossibleChange(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	_, js := connectJS(t, startServer(t))
	if err := Setup(ctx, js, SetupOptions{}); err != nil {
		t.Fatal(err)
	}
	// JetStream cannot change a stream's storage in place: Setup must say so, not ignore it.
	err := Setup(ctx, js, SetupOptions{Storage: StorageMemory})
	if err == nil {
		t.Fatal("Setup changed storage file -> memory without error")
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		t.Errorf("want the server's *jetstream.APIError wrapped, got %v", err)
	}
}

func TestSetupOptionErrors(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]SetupOptions{
		"short duplicate window": {JobsDuplicateWindow: 5 * time.Minute},
		"replicas":               {Replicas: 7},
		"max age below window":   {JobsMaxAge: 15 * time.Minute, JobsDuplicateWindow: 20 * time.Minute},
		"history":                {EnvHistory: 65},
		"negative":               {EventsMaxBytes: -1},
	} {
		if _, err := JobsStreamConfig(o); err == nil {
			t.Errorf("%s: JobsStreamConfig accepted %+v", name, o)
		}
		if err := Setup(testCtx(t), nil, o); err == nil {
			t.Errorf("%s: Setup accepted %+v", name, o)
		}
	}
}

func TestSubjects(t *testing.T) {
	t.Parallel()
	if s, err := JobsSubject("docker"); err != nil || s != "sindri.jobs.docker" {
		t.Errorf("JobsSubject = %q, %v", s, err)
	}
	if s, err := EventsSubject("0192f0c4-8d3a-7b2c-9d1e-2f3a4b5c6d7e"); err != nil || s != "sindri.events.0192f0c4-8d3a-7b2c-9d1e-2f3a4b5c6d7e" {
		t.Errorf("EventsSubject = %q, %v", s, err)
	}
	for _, bad := range []string{"", "a.b", "*", ">", "a b"} {
		if _, err := JobsSubject(bad); !errors.Is(err, ErrBadSubject) {
			t.Errorf("JobsSubject(%q) = %v, want ErrBadSubject", bad, err)
		}
		if _, err := EventsSubject(bad); !errors.Is(err, ErrBadSubject) {
			t.Errorf("EventsSubject(%q) = %v, want ErrBadSubject", bad, err)
		}
	}
}

// EnsureCreated completes a deployment caught half set up (SINDRI_JOBS only, with the
// operator's own duplicate window) and changes nothing that exists.
func TestEnsureCreatedCompletesHalfSetUp(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	_, js := connectJS(t, startServer(t))
	jobsCfg, err := JobsStreamConfig(SetupOptions{JobsDuplicateWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jobsCfg); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := EnsureCreated(ctx, js, SetupOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := js.Stream(ctx, JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	if d := st.CachedInfo().Config.Duplicates; d != time.Hour {
		t.Errorf("%s duplicate window %s, want the operator's 1h kept", JobsStream, d)
	}
	if _, err := js.Stream(ctx, EventsStream); err != nil {
		t.Errorf("%s: %v", EventsStream, err)
	}
	for _, b := range []string{EnvsBucket, LocksBucket} {
		if _, err := js.KeyValue(ctx, b); err != nil {
			t.Errorf("bucket %s: %v", b, err)
		}
	}
}

// EnsureCreated checks what it finds: subjects that do not cover sindri's, or an event stream
// without limits retention, are errors saying how to fix them; a short duplicate window or
// another retention for jobs are warnings.
func TestEnsureCreatedChecksExisting(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	jobsCfg, _ := JobsStreamConfig(SetupOptions{})
	eventsCfg, _ := EventsStreamConfig(SetupOptions{})
	for _, tc := range []struct {
		name   string
		mutate func(jobs, evs *jetstream.StreamConfig)
		err    string
		warn   string
	}{
		{"jobs subjects elsewhere", func(j, _ *jetstream.StreamConfig) { j.Subjects = []string{"other.jobs.>"} }, "do not cover sindri.jobs.>", ""},
		{"events work queue", func(_, e *jetstream.StreamConfig) { e.Retention = jetstream.WorkQueuePolicy }, "need limits retention", ""},
		{"short duplicate window", func(j, _ *jetstream.StreamConfig) { j.Duplicates = 2 * time.Minute }, "", "duplicate window of 2m0s"},
		{"jobs limits retention", func(j, _ *jetstream.StreamConfig) { j.Retention = jetstream.LimitsPolicy }, "", "not work-queue"},
		{"more subjects are fine", func(j, _ *jetstream.StreamConfig) { j.Subjects = []string{"sindri.extra.>", "sindri.jobs.>"} }, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, js := connectJS(t, startServer(t))
			j, e := jobsCfg, eventsCfg
			j.Subjects, e.Subjects = slices.Clone(j.Subjects), slices.Clone(e.Subjects)
			tc.mutate(&j, &e)
			for _, c := range []jetstream.StreamConfig{j, e} {
				if _, err := js.CreateStream(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			var warnings []string
			err := EnsureCreated(ctx, js, SetupOptions{Warn: func(m string) { warnings = append(warnings, m) }})
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want one saying %q", err, tc.err)
			case tc.err == "" && err != nil:
				t.Errorf("error %v, want none", err)
			}
			joined := strings.Join(warnings, "\n")
			if (tc.warn == "") != (joined == "") || !strings.Contains(joined, tc.warn) {
				t.Errorf("warnings %q, want %q", warnings, tc.warn)
			}
		})
	}
}

func TestSubjectCovers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		f, sub string
		want   bool
	}{
		{"sindri.jobs.>", "sindri.jobs.>", true}, {">", "sindri.jobs.>", true}, {"sindri.>", "sindri.jobs.>", true},
		{"sindri.*.>", "sindri.jobs.>", true}, {"sindri.jobs.*", "sindri.jobs.>", false}, {"sindri.jobs", "sindri.jobs.>", false},
		{"sindri.events.>", "sindri.jobs.>", false}, {"sindri.jobs.docker", "sindri.jobs.>", false},
	} {
		if got := subjectCovers(c.f, c.sub); got != c.want {
			t.Errorf("subjectCovers(%q, %q) = %v, want %v", c.f, c.sub, got, c.want)
		}
	}
}
