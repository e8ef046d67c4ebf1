package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// LogLine is one log or progress line of a job, as the page and the live stream show it.
type LogLine struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Step    string    `json:"step,omitempty"`
	Message string    `json:"message"`
}

// envPage is one environment's page data.
type envPage struct {
	Row        EnvRow
	Connection *providers.Connection
	Jobs       []Job
	// Selected is the job whose log is shown (zero ID: none).
	Selected Job
	Lines    []LogLine
	// Dropped is how many older lines were left out of Lines.
	Dropped int
	// LastSeq is the sequence of the last event read, where the live stream continues.
	LastSeq uint64
	// Plan is the newest plan job's plan, with the job that made it.
	Plan    *providers.Plan
	PlanJob string
}

func (s *Server) handleEnv(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("env")
	if !jobs.ValidEnvName(name) {
		s.fail(w, http.StatusNotFound, "no such environment", nil)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), busTimeout)
	defer cancel()
	rec, _, err := s.envs.Get(ctx, name)
	if errors.Is(err, events.ErrEnvNotFound) {
		s.fail(w, http.StatusNotFound, "no such environment", nil)
		return
	}
	if err != nil {
		s.fail(w, http.StatusBadGateway, "cannot read the environment record", err)
		return
	}
	p := envPage{Row: s.envRow(rec, s.opts.Now()), Connection: rec.Connection, Jobs: s.idx.envJobs(name)}
	for _, j := range p.Jobs {
		if j.Plan != nil {
			p.Plan, p.PlanJob = j.Plan, j.ID
			break
		}
	}
	if p.Connection == nil {
		for _, j := range p.Jobs {
			if j.Connection != nil {
				p.Connection = j.Connection
				break
			}
		}
	}
	// The log shown is the asked-for job's, else a running one's, else the newest job's.
	want := r.URL.Query().Get("job")
	for _, j := range p.Jobs {
		if j.ID == want {
			p.Selected = j
			break
		}
	}
	if want == "" {
		for _, j := range p.Jobs {
			if j.Running() {
				p.Selected = j
				break
			}
		}
		if p.Selected.ID == "" && len(p.Jobs) > 0 {
			p.Selected = p.Jobs[0]
		}
	}
	if want != "" && p.Selected.ID == "" {
		s.fail(w, http.StatusNotFound, "no such job for this environment", nil)
		return
	}
	if p.Selected.ID != "" {
		p.Lines, p.Dropped, p.LastSeq, err = s.readLog(ctx, p.Selected.ID)
		if err != nil {
			s.fail(w, http.StatusBadGateway, "cannot read the job's events", err)
			return
		}
	}
	s.render(w, http.StatusOK, "env.html", "envs", p)
}

// readLog reads the log and progress lines a job has published so far (the newest LogLines of
// them), and the sequence of its last event.
func (s *Server) readLog(ctx context.Context, jobID string) (lines []LogLine, dropped int, last uint64, err error) {
	subj, err := events.EventsSubject(jobID)
	if err != nil {
		return nil, 0, 0, err
	}
	cons, err := s.js.OrderedConsumer(ctx, events.EventsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subj}, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, 0, 0, fmt.Errorf("ui: read %s: %w", jobID, err)
	}
	if info := cons.CachedInfo(); info != nil && info.NumPending == 0 {
		return nil, 0, 0, nil
	}
	for {
		batch, err := cons.FetchNoWait(256)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("ui: read %s: %w", jobID, err)
		}
		n := 0
		var pending uint64 = 1
		for m := range batch.Messages() {
			n++
			if meta, err := m.Metadata(); err == nil {
				pending = meta.NumPending
			}
			ev, err := events.Decode(m.Data())
			if err != nil {
				continue
			}
			last = max(last, ev.Seq)
			if l, ok := lineOf(ev); ok {
				lines = append(lines, l)
				if len(lines) > s.opts.LogLines {
					lines = lines[1:]
					dropped++
				}
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return nil, 0, 0, fmt.Errorf("ui: read %s: %w", jobID, err)
		}
		if n == 0 || pending == 0 {
			return lines, dropped, last, nil
		}
	}
}

// lineOf turns a log or progress event into a line; other events are not lines.
func lineOf(ev *events.Envelope) (LogLine, bool) {
	switch d := ev.Data.(type) {
	case *events.Log:
		return LogLine{Seq: ev.Seq, Time: ev.Time, Level: string(d.Level), Step: d.Step, Message: d.Message}, true
	case *events.Progress:
		msg := fmt.Sprintf("step %s", d.Step)
		if d.Total > 0 {
			msg = fmt.Sprintf("step %d/%d: %s", d.Done, d.Total, d.Step)
		}
		if d.Message != "" {
			msg += ": " + d.Message
		}
		return LogLine{Seq: ev.Seq, Time: ev.Time, Level: "progress", Step: d.Step, Message: msg}, true
	}
	return LogLine{}, false
}
