// Package executor is the worker that pulls deployment jobs from SINDRI_JOBS, runs them with a
// provider under a per-environment lease, publishes the job's events and decides each
// message's fate (ack, nak with delay, terminate). docs/executor.md describes the semantics.
package executor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Defaults of Config.
const (
	DefaultConcurrency  = 4
	DefaultLeaseTTL     = 30 * time.Second
	DefaultAckWait      = 30 * time.Second
	DefaultMaxAttempts  = 10
	DefaultRetryBase    = 2 * time.Second
	DefaultRetryMax     = 5 * time.Minute
	DefaultLeaseRetry   = time.Second
	DefaultDrainTimeout = 30 * time.Second
	DefaultDrainGrace   = 5 * time.Second
	// ConsumerPrefix prefixes the durable consumer of each provider: sindri-exec-<provider>.
	ConsumerPrefix = events.ExecutorConsumerPrefix
)

// ErrNoProviders is returned by New when the executor would serve no provider.
var ErrNoProviders = errors.New("executor: no providers to serve")

// ErrLeaseTTL is returned by New when Config.LeaseTTL exceeds the TTL of the sindri_locks
// bucket: the server would forget a lease before it expires, so no lease could be taken.
var ErrLeaseTTL = errors.New("executor: lease ttl exceeds the locks bucket ttl")

// Config configures an Executor. Zero fields take the defaults above.
type Config struct {
	// Worker names this executor in events and leases (default host-pid-random).
	Worker string
	// Registry holds the providers this executor can run.
	Registry *providers.Registry
	// Providers restricts the providers served (default: every registered one).
	Providers []string
	// Concurrency bounds the jobs handled at once.
	Concurrency int
	// AllowedRepos are path.Match patterns ("acme/*"); a job of another repository is refused.
	// Empty allows any repository.
	AllowedRepos []string
	// TrustedSigners are public user nkeys (U...). When set, only jobs signed by one of them
	// run (see jobs.Sign); unsigned jobs and bad signatures are refused as unauthorized.
	// Empty runs unsigned jobs.
	TrustedSigners []string
	// LeaseTTL is the per-environment lease lifetime; it is renewed every LeaseTTL/3.
	LeaseTTL time.Duration
	// LeaseRetry is the base delay before a job that met a held lease is redelivered.
	LeaseRetry time.Duration
	// AckWait is the consumers' ack wait; in-progress acks go out every AckWait/3.
	AckWait time.Duration
	// MaxAttempts is how many times a job may reach its provider; after the last failed
	// attempt the job is dead-lettered.
	MaxAttempts int
	// RetryBase and RetryMax bound the jittered exponential backoff of transient failures.
	RetryBase, RetryMax time.Duration
	// DrainTimeout bounds how long in-flight jobs may run after Run's context ends; then they
	// are cancelled and handed back.
	DrainTimeout time.Duration
	// DrainGrace bounds how long Run waits, after DrainTimeout cancelled the jobs still
	// running, for their providers to return. Jobs whose provider ignores the cancellation are
	// then handed back (nak) and Run returns anyway: Run returns within DrainTimeout+DrainGrace
	// (plus the settling of each job). Their providers' leases stay renewed while they run.
	DrainGrace time.Duration
	// DefaultTTL is the lifetime of an environment whose job set none (0 = no expiry).
	DefaultTTL time.Duration
	// LoadConfig validates a job's sindri.yaml (default LoadSindriConfig, behind a cache of
	// the parsed files by content).
	LoadConfig ConfigLoader
	// BuildSpec overrides the Spec construction (default: from LoadConfig and the job).
	BuildSpec SpecBuilder
	// SecretsKey is this executor's curve key pair (nkeys xkey): it opens the secrets a job
	// carries sealed (Job.SealedSecrets) into Spec.Secrets. Nil: a job with sealed secrets fails
	// permanently. Every executor serving a provider needs the same key, since any of them may
	// take the job.
	SecretsKey nkeys.KeyPair
	// LocalSecrets are the secrets an embedded executor's jobs deliver: the action resolved
	// them in this process and hands them over in memory, so they never travel on the bus.
	// A job carrying sealed secrets uses those instead.
	LocalSecrets []providers.SecretValue
	// Logger receives structured logs (default: disabled).
	Logger *zerolog.Logger
	// Metrics records Prometheus metrics (nil: none).
	Metrics *Metrics
	// Cost prices jobs and enforces the spending policy (nil: plans are priced from the
	// providers' tables only, and nothing is checked). See docs/cost.md.
	Cost *CostConfig
}

func (c Config) withDefaults() Config {
	if c.Worker == "" {
		host, _ := os.Hostname()
		c.Worker = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), uuid.NewString()[:8])
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.LeaseRetry <= 0 {
		c.LeaseRetry = DefaultLeaseRetry
	}
	if c.AckWait <= 0 {
		c.AckWait = DefaultAckWait
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryBase <= 0 {
		c.RetryBase = DefaultRetryBase
	}
	if c.RetryMax <= 0 {
		c.RetryMax = DefaultRetryMax
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.DrainGrace <= 0 {
		c.DrainGrace = DefaultDrainGrace
	}
	if c.LoadConfig == nil {
		// Parsed once per distinct file: the jobs of a repository carry the same one.
		c.LoadConfig = newConfigCache(LoadSindriConfig).Load
	}
	if c.BuildSpec == nil {
		c.BuildSpec = specBuilder(c.LoadConfig, c.DefaultTTL)
	}
	if c.Logger == nil {
		l := zerolog.Nop()
		c.Logger = &l
	}
	return c
}

// Executor pulls and runs jobs. Create it with New, then call Run once.
type Executor struct {
	cfg          Config
	log          zerolog.Logger
	verifier     *jobs.Verifier // nil: signatures are not required
	js           jetstream.JetStream
	pub          *events.Publisher
	envs         *events.EnvStore
	leases       *events.Leases
	eventsStream jetstream.Stream
	consumers    map[string]jetstream.Consumer
	leaders      *leaderWatch // set by Run
	source       string
	ready        atomic.Bool
	// failing counts the consumers whose last fetchFailuresUnready fetches failed.
	failing atomic.Int32

	localMu sync.Mutex
	local   map[string]string // environment -> lease holder name of the operation running here

	flightMu sync.Mutex
	inFlight map[*delivery]struct{}
}

func (e *Executor) track(d *delivery) {
	e.flightMu.Lock()
	defer e.flightMu.Unlock()
	if e.inFlight == nil {
		e.inFlight = map[*delivery]struct{}{}
	}
	e.inFlight[d] = struct{}{}
}

func (e *Executor) inFlightCount() int {
	e.flightMu.Lock()
	defer e.flightMu.Unlock()
	return len(e.inFlight)
}

func (e *Executor) untrack(d *delivery) {
	e.flightMu.Lock()
	defer e.flightMu.Unlock()
	delete(e.inFlight, d)
}

// abandonInFlight naks every message still being handled and returns how many. Their
// handlers go on until their providers return; whatever they settle then is consistent with
// the redelivery (which waits for the lease and reads the job's history).
func (e *Executor) abandonInFlight() int {
	e.flightMu.Lock()
	defer e.flightMu.Unlock()
	for d := range e.inFlight {
		// Only msg and meta: the handler goroutine still owns the rest of d.
		log := e.log.With().Uint64("stream_seq", d.meta.Sequence.Stream).Logger()
		log.Error().Msg("the provider ignores cancellation; handing the job back while it still runs")
		if err := d.msg.Nak(); err != nil {
			log.Warn().Err(err).Msg("nak; the job comes back after the ack wait")
		}
	}
	return len(e.inFlight)
}

// claimLocal marks env busy in this process for holder; when it is already busy it returns
// the current holder and false.
func (e *Executor) claimLocal(env, holder string) (string, bool) {
	e.localMu.Lock()
	defer e.localMu.Unlock()
	if cur, ok := e.local[env]; ok {
		return cur, false
	}
	if e.local == nil {
		e.local = map[string]string{}
	}
	e.local[env] = holder
	return holder, true
}

func (e *Executor) releaseLocal(env string) {
	e.localMu.Lock()
	defer e.localMu.Unlock()
	delete(e.local, env)
}

// New binds an executor to js: it opens SINDRI_EVENTS, sindri_envs and sindri_locks (created by
// events.Setup) and creates or updates one durable pull consumer per served provider
// (ConsumerPrefix+provider, filtered on sindri.jobs.<provider>). Errors: ErrNoProviders,
// ErrLeaseTTL (LeaseTTL above the sindri_locks bucket TTL), ErrBadSecretsKey, a provider name that is not registered (providers.ErrUnknownProvider), or
// the JetStream error, wrapped.
func New(ctx context.Context, js jetstream.JetStream, cfg Config) (*Executor, error) {
	cfg = cfg.withDefaults()
	if cfg.Registry == nil {
		return nil, ErrNoProviders
	}
	serve := cfg.Providers
	if len(serve) == 0 {
		serve = cfg.Registry.Names()
	}
	if len(serve) == 0 {
		return nil, ErrNoProviders
	}
	if _, err := checkSecretsKey(cfg.SecretsKey); err != nil {
		return nil, err
	}
	for _, p := range cfg.AllowedRepos {
		if _, err := path.Match(p, "x/y"); err != nil {
			return nil, fmt.Errorf("executor: allowed repo pattern %q: %w", p, err)
		}
	}
	var verifier *jobs.Verifier
	if len(cfg.TrustedSigners) > 0 {
		v, err := jobs.NewVerifier(cfg.TrustedSigners)
		if err != nil {
			return nil, fmt.Errorf("executor: %w", err)
		}
		verifier = v
	}
	e := &Executor{
		verifier:  verifier,
		cfg:       cfg,
		log:       cfg.Logger.With().Str("worker", cfg.Worker).Logger(),
		js:        js,
		pub:       events.NewPublisher(js),
		consumers: map[string]jetstream.Consumer{},
		source:    "urn:sindri:executor:" + cfg.Worker,
	}
	var err error
	if e.eventsStream, err = js.Stream(ctx, events.EventsStream); err != nil {
		return nil, fmt.Errorf("executor: open %s: %w", events.EventsStream, err)
	}
	if e.envs, err = events.OpenEnvStore(ctx, js); err != nil {
		return nil, fmt.Errorf("executor: %w", err)
	}
	if e.leases, err = events.OpenLeases(ctx, js); err != nil {
		return nil, fmt.Errorf("executor: %w", err)
	}
	if bt := e.leases.BucketTTL(); bt > 0 && cfg.LeaseTTL > bt {
		return nil, fmt.Errorf("%w: lease_ttl %s is longer than the %s bucket's TTL %s; set lease_ttl to at most %s (or recreate the bucket with a longer TTL)",
			ErrLeaseTTL, cfg.LeaseTTL, events.LocksBucket, bt, bt)
	}
	for _, name := range serve {
		if _, err := cfg.Registry.Get(name); err != nil {
			return nil, fmt.Errorf("executor: serve %q: %w", name, err)
		}
		subj, err := events.JobsSubject(name)
		if err != nil {
			return nil, fmt.Errorf("executor: serve %q: %w", name, err)
		}
		cons, err := bindConsumer(ctx, js, ConsumerConfig(name, subj, cfg.AckWait))
		if err != nil {
			return nil, fmt.Errorf("executor: consumer for %s: %w", name, err)
		}
		e.consumers[name] = cons
		cfg.Metrics.ServeProvider(name)
	}
	return e, nil
}

// ConsumerConfig is the durable pull consumer every executor serving provider binds to; all
// executors must agree on it. MaxDeliver is unlimited: the executor counts provider attempts
// itself (waiting for a lease is not an attempt) and dead-letters after Config.MaxAttempts.
func ConsumerConfig(provider, subject string, ackWait time.Duration) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       ConsumerPrefix + provider,
		Description:   "sindri executors for provider " + provider,
		FilterSubject: subject,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    -1,
		MaxAckPending: 20000,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
}

// Providers returns the names of the providers the executor serves, sorted.
func (e *Executor) Providers() []string {
	return slices.Sorted(maps.Keys(e.consumers))
}

// Worker returns the executor's worker name.
func (e *Executor) Worker() string { return e.cfg.Worker }

// Ready reports whether Run is pulling jobs (for /readyz): false before Run, during a drain,
// and while a consumer's fetches keep failing (its consumer deleted, JetStream unavailable).
func (e *Executor) Ready() bool { return e.ready.Load() && e.failing.Load() == 0 }

// fetchWait bounds one pull request, so that slots reserved for one provider's consumer go
// back to the others regularly.
const fetchWait = time.Second

// fetchFailuresUnready is how many fetches in a row must fail before Ready turns false; one
// fetch that succeeds turns it back.
const fetchFailuresUnready = 3

// Run pulls and handles jobs until ctx ends, then drains: it stops pulling, lets in-flight jobs
// finish for up to DrainTimeout, cancels the rest (they are handed back with a nak and a
// retrying event) and returns; a job whose provider has not returned DrainGrace after the
// cancellation is handed back without waiting for it. It returns nil after a drain; it never returns early on a
// transient NATS error (it retries).
func (e *Executor) Run(ctx context.Context) error {
	// Jobs run under hard, which outlives ctx by at most DrainTimeout.
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHard()
	slots := make(chan struct{}, e.cfg.Concurrency)
	e.leaders = watchLeaders(e.js.Conn())
	defer e.leaders.stop()
	var jobsWG, pullWG sync.WaitGroup
	for name, cons := range e.consumers {
		pullWG.Go(func() { e.pull(ctx, hard, name, cons, slots, &jobsWG) })
	}
	e.ready.Store(true)
	e.log.Info().Int("concurrency", e.cfg.Concurrency).Int("consumers", len(e.consumers)).Msg("executor started")
	<-ctx.Done()
	e.ready.Store(false)
	drainStart := time.Now()
	e.log.Info().Int("in_flight", e.inFlightCount()).Dur("drain_timeout", e.cfg.DrainTimeout).Msg("drain started: no new jobs are pulled")
	pullWG.Wait()
	done := make(chan struct{})
	go func() { jobsWG.Wait(); close(done) }()
	t := time.NewTimer(e.cfg.DrainTimeout)
	defer t.Stop()
	outcome := "finished"
	select {
	case <-done:
	case <-t.C:
		e.log.Warn().Msg("drain timeout: handing back in-flight jobs")
		outcome = "timed_out"
		cancelHard()
		g := time.NewTimer(e.cfg.DrainGrace)
		defer g.Stop()
		select {
		case <-done:
		case <-g.C:
			n := e.abandonInFlight()
			e.log.Error().Int("jobs", n).Dur("grace", e.cfg.DrainGrace).Msg("in-flight jobs did not stop after cancellation; handed back, exiting without them")
		}
	}
	// Acks are not confirmed one by one (see delivery.ack): send the last ones before
	// returning, since the caller may close the connection next.
	if nc := e.js.Conn(); nc != nil {
		if err := nc.FlushTimeout(finalTimeout); err != nil {
			e.log.Warn().Err(err).Msg("flush the last acks; their jobs come back after the ack wait and are acked as duplicates")
		}
	}
	e.log.Info().Str("outcome", outcome).Dur("took", time.Since(drainStart)).Msg("drain finished: executor stopped")
	return nil
}

// pull fetches as many messages as there are free slots and starts a handler for each.
func (e *Executor) pull(ctx, hard context.Context, name string, cons jetstream.Consumer, slots chan struct{}, jobsWG *sync.WaitGroup) {
	log := e.log.With().Str("provider", name).Logger()
	fails := 0
	setFails := func(n int) {
		was, now := fails >= fetchFailuresUnready, n >= fetchFailuresUnready
		fails = n
		switch {
		case now && !was:
			e.failing.Add(1)
			log.Error().Int("failures", n).Msg("fetches keep failing; not ready")
		case was && !now:
			e.failing.Add(-1)
			log.Info().Msg("fetching again; ready")
		}
	}
	defer setFails(0)
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := 1
	grab:
		for n < cap(slots) {
			select {
			case slots <- struct{}{}:
				n++
			default:
				break grab
			}
		}
		fctx, cancel := e.leaders.fetchContext(ctx, fetchWait)
		batch, err := cons.Fetch(n, jetstream.FetchContext(fctx))
		got := 0
		if err == nil {
			for msg := range batch.Messages() {
				got++
				if ctx.Err() != nil {
					// Arrived after the drain began: hand it back untouched at once.
					_ = msg.Nak()
					<-slots
					continue
				}
				jobsWG.Go(func() {
					defer func() { <-slots }()
					e.handle(hard, msg)
				})
			}
			err = batch.Error()
		}
		cancel()
		for i := got; i < n; i++ {
			<-slots
		}
		if err != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, jetstream.ErrNoMessages) && !fetchEndedByElection(fctx) {
			setFails(fails + 1)
			log.Warn().Err(err).Msg("fetch failed; retrying")
			if e.leaders.sleep(ctx, 250*time.Millisecond) != nil {
				return
			}
			continue
		}
		if ctx.Err() == nil {
			setFails(0)
		}
	}
}

func (e *Executor) repoAllowed(repo string) bool {
	if len(e.cfg.AllowedRepos) == 0 {
		return true
	}
	for _, p := range e.cfg.AllowedRepos {
		if ok, _ := path.Match(p, repo); ok {
			return true
		}
	}
	return false
}
