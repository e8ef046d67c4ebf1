package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// EnvRecordVersion is the wire version of EnvRecord values in sindri_envs.
const EnvRecordVersion = 1

// EnvRecord is what sindri_envs remembers about one environment. It is a cache and an audit
// trail: providers find their resources from names and labels, never only from here.
type EnvRecord struct {
	V        int    `json:"v"`
	Env      string `json:"env"`
	Provider string `json:"provider,omitempty"`
	Repo     string `json:"repo,omitempty"`
	PR       int    `json:"pr,omitempty"`
	Branch   string `json:"branch,omitempty"`
	SHA      string `json:"sha,omitempty"`
	// State is the last observed provider state.
	State      providers.State       `json:"state"`
	URL        string                `json:"url,omitempty"`
	Connection *providers.Connection `json:"connection,omitempty"`
	// DesiredGeneration is bumped by every action run that queues a mutating job (BumpDesired);
	// AppliedGeneration is the generation of the last job that succeeded.
	DesiredGeneration uint64 `json:"desired_generation"`
	AppliedGeneration uint64 `json:"applied_generation"`
	// Handle is the provider's versioned handle (providers.Deployment.Handle).
	Handle string `json:"handle,omitempty"`
	// CommentID is the sticky PR comment; DeploymentID the GitHub Deployment.
	CommentID    int64  `json:"comment_id,omitempty"`
	DeploymentID int64  `json:"deployment_id,omitempty"`
	LastJobID    string `json:"last_job_id,omitempty"`
	// LastStatus is the status of LastJobID.
	LastStatus jobs.Status `json:"last_status,omitzero"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
	// ExpiresAt is when the reaper may remove the environment; zero = never.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Closed is set when the PR closed (or the env was destroyed with closing=true): "close
	// wins", later deploys of it are superseded until Reopen.
	Closed   bool      `json:"closed"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
	// ReapQueuedFor is the ExpiresAt a reaper queued a reap job for, at desired generation
	// ReapGeneration: while both still hold, the reap is pending and is not queued again.
	ReapQueuedFor  time.Time `json:"reap_queued_for,omitzero"`
	ReapGeneration uint64    `json:"reap_generation,omitempty"`
	// Usage is the environment's running and stopped time and its rates (docs/cost.md).
	Usage *cost.Usage `json:"usage,omitempty"`
	// GitHubValidators are the ETags of the GitHub lookups made for the environment, with what
	// was read from them (github.Validators.Kept, as JSON): a later run with the same token
	// repeats such a lookup as a conditional request, which costs nothing when GitHub answers
	// 304 Not Modified.
	GitHubValidators json.RawMessage `json:"github_validators,omitempty"`
	// LastActivity is when a job other than an idle stop last succeeded on the environment
	// (a push, a command); the reaper stops a running environment idle for longer than the
	// executor's idle_stop. IdleStopFor is the LastActivity an idle stop was queued for, at
	// desired generation IdleStopGeneration: while both hold, it is pending.
	LastActivity       time.Time `json:"last_activity,omitzero"`
	IdleStopFor        time.Time `json:"idle_stop_for,omitzero"`
	IdleStopGeneration uint64    `json:"idle_stop_generation,omitempty"`
	// IdleAfterSeconds is the environment's own idle time as the executor that last ran a job
	// on it worked it out (its cost.idle_stop, shortened by the repository's and the config's
	// deployment.idle_stop; 0: none), so that every path that finds idle environments (the
	// executors' reapers, the scheduled reap workflow) applies the same one.
	IdleAfterSeconds int64 `json:"idle_after_s,omitempty"`
	// TrafficRx is the inbound byte count last read from a provider that reports traffic
	// (providers.TrafficReporter), at applied generation TrafficGeneration; a change between
	// two reads is activity, like a push.
	TrafficRx         uint64 `json:"traffic_rx,omitempty"`
	TrafficGeneration uint64 `json:"traffic_generation,omitempty"`
}

// IdleAfter is IdleAfterSeconds as a duration.
func (r *EnvRecord) IdleAfter() time.Duration { return time.Duration(r.IdleAfterSeconds) * time.Second }

// SetIdleAfter sets IdleAfterSeconds, rounding a part second up (0 stays 0: no idle stop).
func (r *EnvRecord) SetIdleAfter(d time.Duration) {
	r.IdleAfterSeconds = int64((d + time.Second - 1) / time.Second)
}

// IdleStopPending reports whether an idle stop was queued for the record's current activity
// and nothing was queued for the environment since.
func (r *EnvRecord) IdleStopPending() bool {
	return !r.IdleStopFor.IsZero() && r.IdleStopFor.Equal(r.LastActivity) && r.IdleStopGeneration == r.DesiredGeneration
}

// ReapPending reports whether a reap job was queued for the record's current expiry and
// nothing was queued for the environment since.
func (r *EnvRecord) ReapPending() bool {
	return !r.ReapQueuedFor.IsZero() && r.ReapQueuedFor.Equal(r.ExpiresAt) && r.ReapGeneration == r.DesiredGeneration
}

// Supersedes reports whether a job of kind at generation is moot given r, and why. Only
// mutating kinds can be superseded: a job older than DesiredGeneration is (newest wins), and
// so is a deploy or start of a closed environment (close wins). A destroy, stop or reap at the
// desired generation of a closed environment is never superseded.
func (r *EnvRecord) Supersedes(kind jobs.Kind, generation uint64) (bool, string) {
	if r == nil || !kind.Mutates() {
		return false, ""
	}
	if generation < r.DesiredGeneration {
		return true, fmt.Sprintf("generation %d is older than the desired generation %d", generation, r.DesiredGeneration)
	}
	if r.Closed && (kind == jobs.KindDeploy || kind == jobs.KindStart) {
		return true, "the environment is closed; reopen it to deploy again"
	}
	return false, ""
}

// EnvStore reads and writes EnvRecords in sindri_envs with compare-and-set. It is safe for
// concurrent use.
type EnvStore struct {
	kv   jetstream.KeyValue
	opts options
}

// NewEnvStore returns a store over an opened sindri_envs bucket.
func NewEnvStore(kv jetstream.KeyValue, opts ...Option) *EnvStore {
	return &EnvStore{kv: kv, opts: buildOptions(opts)}
}

// OpenEnvStore opens sindri_envs (created by Setup) and returns a store over it. Errors: the
// bucket lookup error wrapped (jetstream.ErrBucketNotFound when Setup did not run).
func OpenEnvStore(ctx context.Context, js KeyValueOpener, opts ...Option) (*EnvStore, error) {
	kv, err := js.KeyValue(ctx, EnvsBucket)
	if err != nil {
		return nil, fmt.Errorf("events: open %s: %w", EnvsBucket, err)
	}
	return NewEnvStore(kv, opts...), nil
}

// Get returns the record of env and its revision. Errors: ErrEnvNotFound, ErrBadEnvRecord
// (the stored value does not decode), or the KV error, wrapped.
func (s *EnvStore) Get(ctx context.Context, env string) (*EnvRecord, uint64, error) {
	if !jobs.ValidEnvName(env) {
		return nil, 0, fmt.Errorf("events: env record: invalid environment name %q: %w", env, ErrEnvNotFound)
	}
	e, err := s.kv.Get(ctx, env)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, 0, fmt.Errorf("events: env record %s: %w", env, ErrEnvNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("events: env record %s: %w", env, err)
	}
	var r EnvRecord
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return nil, 0, fmt.Errorf("events: env record %s: %w: %w", env, ErrBadEnvRecord, err)
	}
	return &r, e.Revision(), nil
}

// Put writes rec if the stored revision is still revision (0: the record must not exist) and
// returns the new revision. It sets V and UpdatedAt (and CreatedAt when zero). Errors:
// ErrRevisionMismatch when another writer got there first, or the KV error, wrapped.
func (s *EnvStore) Put(ctx context.Context, rec *EnvRecord, revision uint64) (uint64, error) {
	if !jobs.ValidEnvName(rec.Env) {
		return 0, fmt.Errorf("events: env record: invalid environment name %q", rec.Env)
	}
	now := s.opts.now().UTC()
	rec.V = EnvRecordVersion
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = now
	}
	rec.UpdatedAt = now
	b, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("events: env record %s: encode: %w", rec.Env, err)
	}
	var rev uint64
	if revision == 0 {
		rev, err = s.kv.Create(ctx, rec.Env, b)
	} else {
		rev, err = s.kv.Update(ctx, rec.Env, b, revision)
	}
	if isCASConflict(err) {
		return 0, fmt.Errorf("events: env record %s: %w", rec.Env, ErrRevisionMismatch)
	}
	if err != nil {
		return 0, fmt.Errorf("events: env record %s: %w", rec.Env, err)
	}
	return rev, nil
}

func isCASConflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}

// maxCASAttempts bounds Update's compare-and-set loop.
const maxCASAttempts = 64

// Update reads env's record (a fresh one with only Env set when none exists; exists says
// which), lets fn change it, and writes it back with compare-and-set, retrying from the read
// on conflict. fn may run several times and must not have other side effects. It returns the
// written record and revision. Errors: fn's error unchanged (nothing is written),
// ErrBadEnvRecord, ErrTooManyConflicts, ctx's error, or the KV error, wrapped.
func (s *EnvStore) Update(ctx context.Context, env string, fn func(rec *EnvRecord, exists bool) error) (*EnvRecord, uint64, error) {
	for attempt := 0; attempt < maxCASAttempts; attempt++ {
		rec, rev, err := s.Get(ctx, env)
		exists := err == nil
		switch {
		case errors.Is(err, ErrEnvNotFound):
			rec = &EnvRecord{Env: env}
		case err != nil:
			return nil, 0, err
		}
		if err := fn(rec, exists); err != nil {
			return nil, 0, err
		}
		rec.Env = env
		newRev, err := s.Put(ctx, rec, rev)
		if err == nil {
			return rec, newRev, nil
		}
		if !errors.Is(err, ErrRevisionMismatch) {
			return nil, 0, err
		}
		if err := backoff(ctx, attempt); err != nil {
			return nil, 0, err
		}
	}
	return nil, 0, fmt.Errorf("events: env record %s: %w", env, ErrTooManyConflicts)
}

// UpdateFrom is Update for a caller that read env's record already: rec at revision rev, or
// nil and 0 when there was none. Its first attempt lets fn change a copy of rec and writes it
// without reading the record again, which saves a round trip when nobody wrote it since; when
// somebody did, it goes on as Update. rec itself is not changed.
func (s *EnvStore) UpdateFrom(ctx context.Context, env string, rec *EnvRecord, rev uint64, fn func(rec *EnvRecord, exists bool) error) (*EnvRecord, uint64, error) {
	cur := &EnvRecord{Env: env}
	if rec != nil {
		// A copy through the record's own encoding: what a read would have returned.
		b, err := json.Marshal(rec)
		if err != nil {
			return nil, 0, fmt.Errorf("events: env record %s: encode: %w", env, err)
		}
		cur = &EnvRecord{}
		if err := json.Unmarshal(b, cur); err != nil {
			return nil, 0, fmt.Errorf("events: env record %s: %w: %w", env, ErrBadEnvRecord, err)
		}
	}
	if err := fn(cur, rec != nil); err != nil {
		return nil, 0, err
	}
	cur.Env = env
	newRev, err := s.Put(ctx, cur, rev)
	switch {
	case err == nil:
		return cur, newRev, nil
	case errors.Is(err, ErrRevisionMismatch):
		return s.Update(ctx, env, fn)
	default:
		return nil, 0, err
	}
}

// backoff waits a short jittered time growing with attempt, or until ctx ends.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(1+min(attempt, 6)) * time.Millisecond
	d += time.Duration(rand.Int64N(int64(d)))
	return ctxwait.Sleep(ctx, d)
}

// BumpDesired increments env's desired generation with compare-and-set (creating the record
// at generation 1) and returns the new generation: concurrent callers always get distinct
// generations. With closing it also marks the record closed, so that later deploys of it are
// superseded ("close wins").
//
// When the record is already closed and closing is false, nothing is written and BumpDesired
// returns the current desired generation with ErrEnvClosed: a late deploy must not outrank the
// destroy. Use Reopen for an explicit new start (PR reopened, a ChatOps deploy). Other errors
// as for Update.
func (s *EnvStore) BumpDesired(ctx context.Context, env string, closing bool) (uint64, error) {
	var current uint64
	rec, _, err := s.Update(ctx, env, func(r *EnvRecord, _ bool) error {
		if r.Closed && !closing {
			current = r.DesiredGeneration
			return errClosed
		}
		r.DesiredGeneration++
		if closing && !r.Closed {
			r.Closed = true
			r.ClosedAt = s.opts.now().UTC()
		}
		return nil
	})
	if errors.Is(err, errClosed) {
		return current, fmt.Errorf("events: bump %s: %w", env, ErrEnvClosed)
	}
	if err != nil {
		return 0, err
	}
	return rec.DesiredGeneration, nil
}

var errClosed = errors.New("closed")

// Reopen clears the closed mark of env and bumps its desired generation, returning it, so a
// new deploy outranks the earlier destroy. It creates the record when none exists. Errors as
// for Update.
func (s *EnvStore) Reopen(ctx context.Context, env string) (uint64, error) {
	rec, _, err := s.Update(ctx, env, func(r *EnvRecord, _ bool) error {
		r.Closed = false
		r.ClosedAt = time.Time{}
		r.DesiredGeneration++
		return nil
	})
	if err != nil {
		return 0, err
	}
	return rec.DesiredGeneration, nil
}

// List returns every record in the bucket, in key order. Errors: the KV error, wrapped.
func (s *EnvStore) List(ctx context.Context) ([]*EnvRecord, error) {
	keys, err := s.kv.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("events: list %s: %w", EnvsBucket, err)
	}
	slices.Sort(keys)
	out := make([]*EnvRecord, 0, len(keys))
	for _, k := range keys {
		r, _, err := s.Get(ctx, k)
		if errors.Is(err, ErrEnvNotFound) {
			continue // deleted between Keys and Get
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
