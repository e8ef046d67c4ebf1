package ui

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/events"
)

// StreamRow is one stream of the bus page.
type StreamRow struct {
	Name      string
	Subjects  string
	Retention string
	Messages  uint64
	Bytes     uint64
	Consumers []ConsumerRow
}

// ConsumerRow is one durable consumer of a stream.
type ConsumerRow struct {
	Name        string
	Filter      string
	Pending     uint64
	AckPending  int
	Redelivered int
	// Waiting is the number of pull requests waiting: executors ready for that queue.
	Waiting    int
	LastActive time.Time
}

// QueueRow is one provider's job queue.
type QueueRow struct {
	Provider string
	Pending  uint64
	// Pullers is the number of waiting pull requests on the provider's executor consumer.
	Pullers int
}

// LeaseRow is one lease in sindri_locks.
type LeaseRow struct {
	Key      string
	Holder   string
	Acquired time.Time
	Expires  time.Time
	Expired  bool
}

// selfRow is this process's readiness.
type selfRow struct {
	Name    string
	Problem string // "" when ready
}

// busPage is the bus page's data.
type busPage struct {
	Streams []StreamRow
	Queues  []QueueRow
	Leases  []LeaseRow
	Workers []Worker
	// Self is nil without a readiness function.
	Self *selfRow
}

func (s *Server) handleBus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), busTimeout)
	defer cancel()
	p := busPage{Workers: s.idx.workerList()}
	if s.opts.Self != nil {
		p.Self = &selfRow{Name: s.opts.SelfName}
		if err := s.opts.Self(); err != nil {
			p.Self.Problem = err.Error()
		}
	}
	var err error
	if p.Streams, err = s.streams(ctx); err != nil {
		s.fail(w, http.StatusBadGateway, "cannot list the streams", err)
		return
	}
	if p.Queues, err = s.queues(ctx, p.Streams); err != nil {
		s.fail(w, http.StatusBadGateway, "cannot read the job queues", err)
		return
	}
	if p.Leases, err = s.leaseRows(ctx); err != nil {
		s.fail(w, http.StatusBadGateway, "cannot read the leases", err)
		return
	}
	s.render(w, http.StatusOK, "bus.html", "bus", p)
}

// streams lists every stream with its durable consumers (the view's own ordered consumers and
// other ephemeral ones are left out).
func (s *Server) streams(ctx context.Context) ([]StreamRow, error) {
	var out []StreamRow
	l := s.js.ListStreams(ctx)
	for info := range l.Info() {
		row := StreamRow{Name: info.Config.Name, Subjects: strings.Join(info.Config.Subjects, " "),
			Retention: info.Config.Retention.String(), Messages: info.State.Msgs, Bytes: info.State.Bytes}
		st, err := s.js.Stream(ctx, info.Config.Name)
		if err != nil {
			return nil, err
		}
		cl := st.ListConsumers(ctx)
		for ci := range cl.Info() {
			if ci.Config.Durable == "" {
				continue
			}
			c := ConsumerRow{Name: ci.Name, Filter: strings.Join(append([]string{ci.Config.FilterSubject}, ci.Config.FilterSubjects...), " "),
				Pending: ci.NumPending, AckPending: ci.NumAckPending, Redelivered: ci.NumRedelivered, Waiting: ci.NumWaiting}
			if ci.Delivered.Last != nil {
				c.LastActive = *ci.Delivered.Last
			}
			row.Consumers = append(row.Consumers, c)
		}
		if err := cl.Err(); err != nil {
			return nil, err
		}
		slices.SortFunc(row.Consumers, func(a, b ConsumerRow) int { return strings.Compare(a.Name, b.Name) })
		out = append(out, row)
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b StreamRow) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// queues counts the jobs waiting on each provider's subject, and the executors pulling each.
func (s *Server) queues(ctx context.Context, streams []StreamRow) ([]QueueRow, error) {
	st, err := s.js.Stream(ctx, events.JobsStream)
	if err != nil {
		return nil, err
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(events.JobsSubjectAll))
	if err != nil {
		return nil, err
	}
	byProv := map[string]*QueueRow{}
	row := func(p string) *QueueRow {
		if byProv[p] == nil {
			byProv[p] = &QueueRow{Provider: p}
		}
		return byProv[p]
	}
	for subj, n := range info.State.Subjects {
		if p, ok := strings.CutPrefix(subj, events.JobsSubjectPrefix); ok {
			row(p).Pending = n
		}
	}
	for _, sr := range streams {
		if sr.Name != events.JobsStream {
			continue
		}
		for _, c := range sr.Consumers {
			if p, ok := strings.CutPrefix(c.Name, events.ExecutorConsumerPrefix); ok {
				row(p).Pullers = c.Waiting
			}
		}
	}
	out := make([]QueueRow, 0, len(byProv))
	for _, q := range byProv {
		out = append(out, *q)
	}
	slices.SortFunc(out, func(a, b QueueRow) int { return strings.Compare(a.Provider, b.Provider) })
	return out, nil
}

// leaseRows reads every lease that sindri_locks still holds.
func (s *Server) leaseRows(ctx context.Context) ([]LeaseRow, error) {
	keys, err := s.locks.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	slices.Sort(keys)
	now := s.opts.Now()
	var out []LeaseRow
	for _, k := range keys {
		l, ok, err := s.leases.Current(ctx, k)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, LeaseRow{Key: k, Holder: l.Holder, Acquired: l.Acquired, Expires: l.Expires, Expired: !now.Before(l.Expires)})
		}
	}
	return out, nil
}
