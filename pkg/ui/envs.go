package ui

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// CostView is the cost-control slot of an environment row (docs/cost.md): the cost so far, as
// the sticky comment words it, and the idle deadline. Both come from the env record alone.
type CostView struct {
	// SoFar is action.SoFarLine of the record's usage ("" without usage: the page shows "—").
	SoFar string
	// IdleDeadline is Options.IdleDeadline of the record (zero: none, "—").
	IdleDeadline time.Time
}

// EnvRow is one row of the environments page.
type EnvRow struct {
	Env      string
	Repo     string
	PR       int
	Provider string
	State    providers.State
	URL      string
	Created  time.Time
	// Expires is the TTL deadline the reaper acts on (zero: none).
	Expires time.Time
	Closed  bool
	Cost    *CostView
	// LastJob is the env record's last job; LastKind comes from the events index ("" when the
	// events are gone).
	LastJob    string
	LastStatus jobs.Status
	LastKind   jobs.Kind
}

// envsPage is the environments page's data.
type envsPage struct {
	Rows      []EnvRow
	Total     int
	Repos     []string
	Providers []string
	States    []string
	Filter    envFilter
	Sorts     []sortKey
}

type envFilter struct {
	Repo, Provider, State, Sort string
}

// sortKey is one sort order offered on the page.
type sortKey struct {
	Key, Label string
}

var sortKeys = []sortKey{
	{"env", "name"}, {"repo", "repository and PR"}, {"provider", "provider"}, {"state", "state"},
	{"age", "newest first"}, {"-age", "oldest first"}, {"expires", "expires soonest"},
}

// envRows reads every env record and folds in what the events index knows.
func (s *Server) envRows(ctx context.Context) ([]EnvRow, error) {
	recs, err := s.envs.List(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]EnvRow, 0, len(recs))
	now := s.opts.Now()
	for _, r := range recs {
		rows = append(rows, s.envRow(r, now))
	}
	return rows, nil
}

// envRow is the row of r at now (the time its cost so far is computed for).
func (s *Server) envRow(r *events.EnvRecord, now time.Time) EnvRow {
	row := EnvRow{Env: r.Env, Repo: r.Repo, PR: r.PR, Provider: r.Provider, State: r.State,
		URL: r.URL, Created: r.CreatedAt, Expires: r.ExpiresAt, Closed: r.Closed,
		LastJob: r.LastJobID, LastStatus: r.LastStatus, Cost: s.costView(r, now)}
	if j, ok := s.idx.job(r.LastJobID); ok {
		row.LastKind = j.Kind
		if row.LastStatus == jobs.StatusUnknown {
			row.LastStatus = j.Status
		}
	}
	// A first deploy that failed or still runs leaves a record without them; its job tells.
	if row.Repo == "" || row.Provider == "" {
		if js := s.idx.envJobs(r.Env); len(js) > 0 {
			row.Repo, row.PR, row.Provider = cmp.Or(row.Repo, js[0].Repo), cmp.Or(row.PR, js[0].PR), cmp.Or(row.Provider, js[0].Provider)
		}
	}
	return row
}

// costView is r's cost so far at now, worded as the sticky comment words it (the rates are
// the record's own, the executor's estimate when the job ran), and its idle deadline; nil when
// r has neither.
func (s *Server) costView(r *events.EnvRecord, now time.Time) *CostView {
	var c CostView
	if r.Usage != nil {
		c.SoFar = action.SoFarLine(&cost.Report{Usage: r.Usage}, now)
	}
	if s.opts.IdleDeadline != nil {
		c.IdleDeadline = s.opts.IdleDeadline(r)
	}
	if c == (CostView{}) {
		return nil
	}
	return &c
}

func (s *Server) handleEnvs(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), busTimeout)
	defer cancel()
	rows, err := s.envRows(ctx)
	if err != nil {
		s.fail(w, http.StatusBadGateway, "cannot read the environment records", err)
		return
	}
	q := r.URL.Query()
	f := envFilter{Repo: q.Get("repo"), Provider: q.Get("provider"), State: q.Get("state"), Sort: q.Get("sort")}
	p := envsPage{Total: len(rows), Filter: f, Sorts: sortKeys}
	seen := map[string]map[string]bool{"repo": {}, "provider": {}, "state": {}}
	for _, row := range rows {
		for k, v := range map[string]string{"repo": row.Repo, "provider": row.Provider, "state": row.State.String()} {
			if v != "" && !seen[k][v] {
				seen[k][v] = true
				switch k {
				case "repo":
					p.Repos = append(p.Repos, v)
				case "provider":
					p.Providers = append(p.Providers, v)
				case "state":
					p.States = append(p.States, v)
				}
			}
		}
		if (f.Repo == "" || row.Repo == f.Repo) && (f.Provider == "" || row.Provider == f.Provider) &&
			(f.State == "" || row.State.String() == f.State) {
			p.Rows = append(p.Rows, row)
		}
	}
	slices.Sort(p.Repos)
	slices.Sort(p.Providers)
	slices.Sort(p.States)
	sortRows(p.Rows, f.Sort)
	s.render(w, http.StatusOK, "envs.html", "envs", p)
}

// sortRows orders rows by key (a sortKeys key; anything else sorts by name). Ties fall back to
// the name, so the order is stable across requests.
func sortRows(rows []EnvRow, key string) {
	slices.SortStableFunc(rows, func(a, b EnvRow) int {
		var c int
		switch key {
		case "repo":
			c = cmp.Or(strings.Compare(a.Repo, b.Repo), cmp.Compare(a.PR, b.PR))
		case "provider":
			c = strings.Compare(a.Provider, b.Provider)
		case "state":
			c = strings.Compare(a.State.String(), b.State.String())
		case "age":
			c = b.Created.Compare(a.Created)
		case "-age":
			c = a.Created.Compare(b.Created)
		case "expires":
			// Environments that never expire go last.
			c = cmp.Or(cmp.Compare(boolInt(a.Expires.IsZero()), boolInt(b.Expires.IsZero())), a.Expires.Compare(b.Expires))
		}
		return cmp.Or(c, strings.Compare(a.Env, b.Env))
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
