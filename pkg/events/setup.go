package events

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of SetupOptions.
const (
	DefaultJobsDuplicateWindow = 20 * time.Minute
	// MinJobsDuplicateWindow is the shortest duplicate window Setup accepts: a re-run of a
	// workflow step within it cannot queue the same job twice.
	MinJobsDuplicateWindow = 10 * time.Minute
	DefaultJobsMaxAge      = 7 * 24 * time.Hour
	DefaultEventsMaxAge    = 7 * 24 * time.Hour
	DefaultEventsMaxBytes  = int64(1 << 30) // 1 GiB
	// DefaultLockTTL is the sindri_locks bucket TTL: the longest a lease can live without
	// renewal before the server forgets it. Individual leases are usually shorter (their
	// stored expiry lets another holder take over sooner).
	DefaultLockTTL = 15 * time.Minute
	// DefaultEnvHistory is how many revisions of each env record sindri_envs keeps (audit).
	DefaultEnvHistory = 10
)

// eventsDuplicateWindow covers a publisher retrying an event after a lost ack.
const eventsDuplicateWindow = 2 * time.Minute

// Storage is where JetStream keeps a stream's data.
type Storage int

// Storage kinds. The zero value is StorageFile.
const (
	StorageFile Storage = iota
	StorageMemory
)

// String returns "file" or "memory".
func (s Storage) String() string {
	if s == StorageMemory {
		return "memory"
	}
	return "file"
}

func (s Storage) js() jetstream.StorageType {
	if s == StorageMemory {
		return jetstream.MemoryStorage
	}
	return jetstream.FileStorage
}

// SetupOptions configures the streams and buckets. Zero fields take the defaults above.
type SetupOptions struct {
	// Replicas is 1 (single server) or 3 (cluster); 0 means 1.
	Replicas int
	// Storage applies to every stream and bucket.
	Storage Storage
	// JobsDuplicateWindow must be at least MinJobsDuplicateWindow.
	JobsDuplicateWindow time.Duration
	// JobsMaxAge drops jobs nobody picked up after this long.
	JobsMaxAge time.Duration
	// EventsMaxAge and EventsMaxBytes bound the replayable event history.
	EventsMaxAge   time.Duration
	EventsMaxBytes int64
	// LockTTL is the sindri_locks bucket TTL (see DefaultLockTTL).
	LockTTL time.Duration
	// EnvHistory is the number of revisions kept per env record (1..64).
	EnvHistory uint8
	// Warn, when set, receives EnsureCreated's advice about existing streams whose settings
	// work but are weaker than the contract's (a short duplicate window, for example).
	Warn func(msg string)
}

func (o SetupOptions) withDefaults() (SetupOptions, error) {
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.Replicas < 1 || o.Replicas > 5 {
		return o, fmt.Errorf("events: setup: replicas must be 1..5, got %d", o.Replicas)
	}
	if o.JobsDuplicateWindow == 0 {
		o.JobsDuplicateWindow = DefaultJobsDuplicateWindow
	}
	if o.JobsDuplicateWindow < MinJobsDuplicateWindow {
		return o, fmt.Errorf("events: setup: jobs duplicate window %s is below the minimum %s", o.JobsDuplicateWindow, MinJobsDuplicateWindow)
	}
	if o.JobsMaxAge == 0 {
		o.JobsMaxAge = DefaultJobsMaxAge
	}
	if o.JobsMaxAge < o.JobsDuplicateWindow {
		return o, fmt.Errorf("events: setup: jobs max age %s is below the duplicate window %s", o.JobsMaxAge, o.JobsDuplicateWindow)
	}
	if o.EventsMaxAge == 0 {
		o.EventsMaxAge = DefaultEventsMaxAge
	}
	if o.EventsMaxBytes == 0 {
		o.EventsMaxBytes = DefaultEventsMaxBytes
	}
	if o.LockTTL == 0 {
		o.LockTTL = DefaultLockTTL
	}
	if o.EnvHistory == 0 {
		o.EnvHistory = DefaultEnvHistory
	}
	if o.EnvHistory > 64 {
		return o, fmt.Errorf("events: setup: env history must be 1..64, got %d", o.EnvHistory)
	}
	if o.EventsMaxAge < 0 || o.EventsMaxBytes < 0 || o.LockTTL < 0 || o.JobsMaxAge < 0 {
		return o, fmt.Errorf("events: setup: negative limits are not allowed")
	}
	return o, nil
}

// JobsStreamConfig returns the SINDRI_JOBS configuration Setup applies for o.
func JobsStreamConfig(o SetupOptions) (jetstream.StreamConfig, error) {
	o, err := o.withDefaults()
	if err != nil {
		return jetstream.StreamConfig{}, err
	}
	return jetstream.StreamConfig{
		Name:        JobsStream,
		Description: "sindri deployment jobs (work queue)",
		Subjects:    []string{JobsSubjectAll},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     o.Storage.js(),
		Replicas:    o.Replicas,
		Duplicates:  o.JobsDuplicateWindow,
		MaxAge:      o.JobsMaxAge,
		Discard:     jetstream.DiscardOld,
	}, nil
}

// EventsStreamConfig returns the SINDRI_EVENTS configuration Setup applies for o.
func EventsStreamConfig(o SetupOptions) (jetstream.StreamConfig, error) {
	o, err := o.withDefaults()
	if err != nil {
		return jetstream.StreamConfig{}, err
	}
	return jetstream.StreamConfig{
		Name:        EventsStream,
		Description: "sindri job events (replayable)",
		Subjects:    []string{EventsSubjectAll},
		Retention:   jetstream.LimitsPolicy,
		Storage:     o.Storage.js(),
		Replicas:    o.Replicas,
		MaxAge:      o.EventsMaxAge,
		MaxBytes:    o.EventsMaxBytes,
		Discard:     jetstream.DiscardOld,
		Duplicates:  min(eventsDuplicateWindow, o.EventsMaxAge),
	}, nil
}

// EnvsBucketConfig returns the sindri_envs configuration Setup applies for o.
func EnvsBucketConfig(o SetupOptions) (jetstream.KeyValueConfig, error) {
	o, err := o.withDefaults()
	if err != nil {
		return jetstream.KeyValueConfig{}, err
	}
	return jetstream.KeyValueConfig{
		Bucket:      EnvsBucket,
		Description: "sindri environment records",
		History:     o.EnvHistory,
		Storage:     o.Storage.js(),
		Replicas:    o.Replicas,
	}, nil
}

// LocksBucketConfig returns the sindri_locks configuration Setup applies for o.
func LocksBucketConfig(o SetupOptions) (jetstream.KeyValueConfig, error) {
	o, err := o.withDefaults()
	if err != nil {
		return jetstream.KeyValueConfig{}, err
	}
	return jetstream.KeyValueConfig{
		Bucket:      LocksBucket,
		Description: "sindri per-environment leases",
		History:     1,
		TTL:         o.LockTTL,
		Storage:     o.Storage.js(),
		Replicas:    o.Replicas,
	}, nil
}

// configsFor returns the two streams (jobs first) and the two buckets as o describes them.
// Errors: invalid options.
func configsFor(o SetupOptions) ([]jetstream.StreamConfig, []jetstream.KeyValueConfig, error) {
	jobsCfg, err := JobsStreamConfig(o)
	if err != nil {
		return nil, nil, err
	}
	eventsCfg, _ := EventsStreamConfig(o)
	envsCfg, _ := EnvsBucketConfig(o)
	locksCfg, _ := LocksBucketConfig(o)
	return []jetstream.StreamConfig{jobsCfg, eventsCfg}, []jetstream.KeyValueConfig{envsCfg, locksCfg}, nil
}

// StreamManager is the part of jetstream.JetStream that Setup needs.
type StreamManager interface {
	CreateOrUpdateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error)
	CreateOrUpdateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error)
}

// Setup creates SINDRI_JOBS, SINDRI_EVENTS, sindri_envs and sindri_locks, or updates them to
// the configuration o describes. It is idempotent and safe to run from every action run and
// executor start. Errors: invalid options, or the server's refusal wrapped with the name of
// the stream or bucket (e.g. changing storage or retention of an existing stream is refused
// by JetStream).
func Setup(ctx context.Context, js StreamManager, o SetupOptions) error {
	streams, buckets, err := configsFor(o)
	if err != nil {
		return err
	}
	for _, c := range streams {
		if _, err := js.CreateOrUpdateStream(ctx, c); err != nil {
			return fmt.Errorf("events: setup stream %s: %w", c.Name, err)
		}
	}
	for _, c := range buckets {
		if _, err := js.CreateOrUpdateKeyValue(ctx, c); err != nil {
			return fmt.Errorf("events: setup bucket %s: %w", c.Bucket, err)
		}
	}
	return nil
}

// Creator is the part of jetstream.JetStream that EnsureCreated needs.
type Creator interface {
	Stream(ctx context.Context, name string) (jetstream.Stream, error)
	CreateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error)
	KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error)
	CreateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error)
}

// EnsureCreated creates whichever of SINDRI_JOBS, SINDRI_EVENTS, sindri_envs and sindri_locks
// does not exist, configured as o describes, and leaves every existing one exactly as its
// operator configured it. Each is checked on its own, so a deployment caught half set up (by
// another executor or action starting at the same moment, or by an interrupted Setup) is
// completed, and one created concurrently by someone else counts as existing. Errors: invalid
// options, or a lookup or creation error wrapped with the stream or bucket name.
func EnsureCreated(ctx context.Context, js Creator, o SetupOptions) error {
	streams, buckets, err := configsFor(o)
	if err != nil {
		return err
	}
	for _, c := range streams {
		st, err := js.Stream(ctx, c.Name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			st, err = js.CreateStream(ctx, c)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				st, err = js.Stream(ctx, c.Name)
			}
		}
		if err != nil {
			return fmt.Errorf("events: ensure stream %s: %w", c.Name, err)
		}
		if err := checkExisting(st.CachedInfo().Config, c, o.Warn); err != nil {
			return err
		}
	}
	for _, c := range buckets {
		_, err := js.KeyValue(ctx, c.Bucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			_, err = js.CreateKeyValue(ctx, c)
			if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("events: ensure bucket %s: %w", c.Bucket, err)
		}
	}
	return nil
}

// checkExisting compares an existing stream's settings with the ones the contract needs (want,
// as this package would create it). Settings that break sindri are errors saying how to fix
// them; weaker but working ones go to warn.
func checkExisting(got, want jetstream.StreamConfig, warn func(string)) error {
	needed := want.Subjects[0]
	covered := false
	for _, s := range got.Subjects {
		if subjectCovers(s, needed) {
			covered = true
		}
	}
	if !covered {
		return fmt.Errorf("events: stream %s exists with subjects %v, which do not cover %s: sindri cannot publish there; add %s to its subjects (nats stream edit %s) or remove the stream so it is created again",
			got.Name, got.Subjects, needed, needed, got.Name)
	}
	if got.Name == EventsStream && got.Retention != jetstream.LimitsPolicy {
		return fmt.Errorf("events: stream %s exists with %s retention: followers replay events with ordered consumers, which need limits retention; recreate it with limits retention",
			got.Name, got.Retention)
	}
	if warn == nil {
		return nil
	}
	if got.Name == JobsStream {
		if got.Retention != jetstream.WorkQueuePolicy {
			warn(fmt.Sprintf("stream %s has %s retention, not work-queue: finished jobs are kept until its limits drop them", got.Name, got.Retention))
		}
		if got.Duplicates < MinJobsDuplicateWindow {
			warn(fmt.Sprintf("stream %s has a duplicate window of %s (sindri needs at least %s): a workflow step retried after that queues its job twice; raise it with nats stream edit %s --dupe-window %s",
				got.Name, got.Duplicates, MinJobsDuplicateWindow, got.Name, want.Duplicates))
		}
	}
	return nil
}

// subjectCovers reports whether the subject filter f matches every subject filter sub matches
// (NATS wildcards: * one token, > one or more trailing tokens).
func subjectCovers(f, sub string) bool {
	ft, st := strings.Split(f, "."), strings.Split(sub, ".")
	for i, t := range ft {
		if t == ">" {
			return i < len(st)
		}
		if i >= len(st) || st[i] == ">" {
			return false
		}
		if t != "*" && (t != st[i] || st[i] == "*") {
			return false
		}
	}
	return len(ft) == len(st)
}
