package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Job is what the view knows about one job, folded from its events in SINDRI_EVENTS.
type Job struct {
	ID         string
	Env        string
	Kind       jobs.Kind
	Provider   string
	Repo       string
	PR         int
	Generation uint64
	Trigger    string
	Actor      string
	Worker     string
	Attempts   int
	Status     jobs.Status
	// Message is the failure, supersession or dead-letter message (already redacted by the
	// executor that published it).
	Message  string
	Accepted time.Time
	Ended    time.Time
	// Duration is the succeeded event's duration, else Ended - Accepted once the job ended.
	Duration time.Duration
	URL      string
	Connect  string
	// Connection and Plan come from the succeeded event.
	Connection *providers.Connection
	Plan       *providers.Plan
	// LastSeq is the sequence of the last event seen for the job.
	LastSeq uint64
}

// Running reports whether the job has not ended yet.
func (j Job) Running() bool { return !j.Status.Terminal() }

// Worker is an executor seen publishing events.
type Worker struct {
	Name     string
	Source   string
	LastSeen time.Time
	Running  int
}

// index folds SINDRI_EVENTS into per-job summaries, in memory. It is the view's only state and
// is rebuilt from the stream at every start: nothing is stored for the view.
type index struct {
	mu      sync.RWMutex
	jobs    map[string]*Job
	workers map[string]*Worker
	// caughtUp is closed once the consumer has read every event that existed at its start.
	caughtUp chan struct{}
	once     sync.Once
	// onError receives consumer errors (the index then starts again after a pause).
	onError func(error)
}

func newIndex() *index {
	return &index{jobs: map[string]*Job{}, workers: map[string]*Worker{}, caughtUp: make(chan struct{})}
}

// run reads SINDRI_EVENTS from the first event and keeps following it until ctx ends. A broken
// consumer (the server restarting) is created again after a pause, replaying from the first
// event into a fresh fold, so the index never double-counts.
func (x *index) run(ctx context.Context, js jetstream.JetStream) error {
	for {
		err := x.follow(ctx, js)
		if ctx.Err() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
		if x.onError != nil && err != nil {
			x.onError(err)
		}
	}
}

func (x *index) follow(ctx context.Context, js jetstream.JetStream) error {
	cons, err := js.OrderedConsumer(ctx, events.EventsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.EventsSubjectAll},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("ui: follow %s: %w", events.EventsStream, err)
	}
	info := cons.CachedInfo()
	if info != nil && info.NumPending == 0 {
		x.markCaughtUp()
	}
	msgs, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("ui: follow %s: %w", events.EventsStream, err)
	}
	stop := context.AfterFunc(ctx, msgs.Stop)
	defer stop()
	defer msgs.Stop()
	x.mu.Lock()
	x.jobs, x.workers = map[string]*Job{}, map[string]*Worker{} // a replay starts a fresh fold
	x.mu.Unlock()
	for {
		m, err := msgs.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("ui: follow %s: %w", events.EventsStream, err)
		}
		meta, _ := m.Metadata()
		x.apply(m.Subject(), m.Headers(), m.Data())
		if meta != nil && meta.NumPending == 0 {
			x.markCaughtUp()
		}
	}
}

func (x *index) markCaughtUp() { x.once.Do(func() { close(x.caughtUp) }) }

// isCaughtUp reports whether the index has read every event that existed when it started.
func (x *index) isCaughtUp() bool {
	select {
	case <-x.caughtUp:
		return true
	default:
		return false
	}
}

// apply folds one stored event. Log and progress events are not decoded: only their sequence
// and the worker's liveness matter here.
func (x *index) apply(subject string, hdr nats.Header, body []byte) {
	jobID, ok := strings.CutPrefix(subject, events.EventsSubjectPrefix)
	if !ok {
		return
	}
	t := events.Type(hdr.Get(events.HeaderType))
	var ev *events.Envelope
	if t != events.TypeLog && t != events.TypeProgress {
		var err error
		if ev, err = events.Decode(body); err != nil {
			return // unknown or malformed events are the follower's business, not the view's
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	j := x.jobs[jobID]
	if j == nil {
		j = &Job{ID: jobID}
		x.jobs[jobID] = j
	}
	if ev == nil {
		// The message id is "<job-id>-<seq>" (events.EventID).
		if n, err := strconv.ParseUint(strings.TrimPrefix(hdr.Get(jetstream.MsgIDHeader), jobID+"-"), 10, 64); err == nil {
			j.LastSeq = max(j.LastSeq, n)
		}
		return
	}
	j.LastSeq = max(j.LastSeq, ev.Seq)
	if st, ok := ev.Type.Status(); ok && !j.Status.Terminal() {
		j.Status = st
	}
	switch d := ev.Data.(type) {
	case *events.Accepted:
		if j.Accepted.IsZero() {
			j.Accepted = ev.Time
		}
		j.Env, j.Kind, j.Provider, j.Generation = d.Env, d.Kind, d.Provider, d.Generation
		j.Repo, j.PR, j.Trigger, j.Actor = d.Repo, d.PR, d.Trigger, d.RequestedBy
		x.seen(d.Worker, ev.Source, ev.Time)
		j.Worker = d.Worker
	case *events.Started:
		j.Attempts = max(j.Attempts, d.Attempt)
		x.seen(d.Worker, ev.Source, ev.Time)
		j.Worker = d.Worker
	case *events.Succeeded:
		j.Env, j.Kind, j.Provider = d.Env, d.Kind, d.Provider
		j.Duration = time.Duration(d.DurationMS) * time.Millisecond
		j.URL, j.Connect, j.Plan = d.URL, d.Connect, d.Plan
		if d.Deployment != nil {
			j.Connection = d.Deployment.Connection
		}
	}
	if m := messageOf(ev); m != "" {
		j.Message = m
	}
	if ev.Type.Terminal() {
		j.Ended = ev.Time
		if j.Duration == 0 && !j.Accepted.IsZero() {
			j.Duration = j.Ended.Sub(j.Accepted)
		}
	}
	if w := x.workers[j.Worker]; w != nil && ev.Time.After(w.LastSeen) {
		w.LastSeen = ev.Time
	}
}

func (x *index) seen(name, source string, at time.Time) {
	if name == "" {
		return
	}
	w := x.workers[name]
	if w == nil {
		w = &Worker{Name: name}
		x.workers[name] = w
	}
	w.Source = source
	if at.After(w.LastSeen) {
		w.LastSeen = at
	}
}

// envJobs returns copies of env's jobs, newest first.
func (x *index) envJobs(env string) []Job {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []Job
	for _, j := range x.jobs {
		if j.Env == env {
			out = append(out, *j)
		}
	}
	slices.SortFunc(out, func(a, b Job) int { return b.Accepted.Compare(a.Accepted) })
	return out
}

// job returns a copy of the job with id.
func (x *index) job(id string) (Job, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	j, ok := x.jobs[id]
	if !ok {
		return Job{}, false
	}
	return *j, true
}

// workerList returns the executors seen, with the number of jobs each is running now.
func (x *index) workerList() []Worker {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]Worker, 0, len(x.workers))
	for _, w := range x.workers {
		c := *w
		for _, j := range x.jobs {
			if j.Worker == w.Name && j.Running() && !j.Accepted.IsZero() {
				c.Running++
			}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Worker) int { return strings.Compare(a.Name, b.Name) })
	return out
}
