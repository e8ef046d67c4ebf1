// Package northflanktest is a stateful, strict fake of the Northflank REST API v1 for tests,
// built on internal/apifake: bearer auth, the {"data": ...} envelope (the volumes list a bare
// array under data), ids that are slugs of names with 409 on a taken slug, name limits, plan
// and GPU checks, only HTTP ports public, the rollout status machine (states.go) with
// servicePaused, pause and resume (409 when not paused), ReadWriteOnce volumes that hold a
// service to one instance, deletes with delete_child_objects, cursor pagination, logs and
// containers, and x-ratelimit-* headers on every answer with 429 once the budget is spent.
package northflanktest

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
)

// CrashImage is an image whose container fails as it starts: its rollout ends FAILED, its
// container TASK_FAILED, with log lines.
const CrashImage = "example.com/crashloop:latest"

// UnverifiableImage is an image create refuses with 400 "Unable to verify external image".
const UnverifiableImage = "registry.example.com/private/doesnotexist:1"

// CrashLogs are CrashImage's log lines.
var CrashLogs = []string{"starting server", "reading /data/config.yaml", "panic: open /data/config.yaml: permission denied"}

// planIDs are the compute plans of GET /v1/plans (B8).
var planIDs = []string{"nf-compute-10", "nf-compute-20", "nf-compute-50", "nf-compute-100-1", "nf-compute-100-2",
	"nf-compute-100-4", "nf-compute-200", "nf-compute-200-4", "nf-compute-200-8", "nf-compute-200-16", "nf-compute-400",
	"nf-compute-400-16", "nf-compute-800-8", "nf-compute-800-16", "nf-compute-800-24", "nf-compute-800-32",
	"nf-compute-800-40", "nf-compute-1200-24", "nf-compute-1600-32", "nf-compute-2000-40"}

var (
	nameRE  = regexp.MustCompile(`^[a-zA-Z]((-|\s)?[a-zA-Z0-9]+((-|\s)[a-zA-Z0-9]+)*)?$`)
	portRE  = regexp.MustCompile(`^[a-zA-Z](-?[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)?$`)
	tagRE   = regexp.MustCompile(`^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$`)
	descRE  = regexp.MustCompile(`^[a-zA-Z0-9.,?\s\\/'"()\[\];` + "`" + `%^&*\-_:!]+$`)
	slugDup = regexp.MustCompile(`[\s-]+`)
)

// Fake is the fake Northflank API. Its switches may be changed between requests under Lock.
type Fake struct {
	// API is the fault-injecting server; URL() is the base URL.
	API *apifake.Server
	// Token is the accepted API token.
	Token string
	// Budget is the number of requests per Window (1000 an hour by default).
	Budget int
	Window time.Duration
	// RolloutPolls is how many GETs a rollout spends in PENDING and in IN_PROGRESS.
	RolloutPolls int
	// QuotaExceeded makes service creates answer 402.
	QuotaExceeded bool
	// PerPage is the default page size (the API's is 50).
	PerPage int

	mu          sync.Mutex
	used        int
	windowStart time.Time
	uid         int
	projects    map[string]*Project
}

// Project is the fake's record of a project.
type Project struct {
	ID, Name, Description, Region string
	UID                           int
	Services                      map[string]*Service
	Volumes                       map[string]*Volume
}

// Service is the fake's record of a deployment service.
type Service struct {
	ID, Name, Description, Plan, Image string
	Tags                               []string
	GPUType                            string
	GPUCount, Instances, UID           int
	Ports                              []Port
	Env                                map[string]string
	Autoscaling                        *Autoscaling
	HealthChecks                       int
	Paused                             bool
	Status                             string
	Polls                              int
	CreatedAt, UpdatedAt               time.Time
}

// Volume is the fake's record of a volume.
type Volume struct {
	ID, Name, MountPath, AttachedTo string
	Tags                            []string
	SizeMB, UID                     int
}

// New starts a fake accepting token, with opts for the apifake server.
func New(t apifake.TB, token string, opts ...apifake.Option) *Fake {
	f := &Fake{Token: token, Budget: 1000, Window: time.Hour, RolloutPolls: 1, PerPage: 50, projects: map[string]*Project{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/projects", f.listProjects)
	mux.HandleFunc("POST /v1/projects", f.createProject)
	mux.HandleFunc("GET /v1/projects/{p}", f.inProject(f.getProject))
	mux.HandleFunc("DELETE /v1/projects/{p}", f.inProject(f.deleteProject))
	mux.HandleFunc("GET /v1/projects/{p}/services", f.inProject(f.listServices))
	mux.HandleFunc("POST /v1/projects/{p}/services/deployment", f.createService)
	mux.HandleFunc("PATCH /v1/projects/{p}/services/deployment/{s}", f.patchService)
	mux.HandleFunc("GET /v1/projects/{p}/services/{s}", f.inService(f.getService))
	mux.HandleFunc("DELETE /v1/projects/{p}/services/{s}", f.inService(f.deleteService))
	mux.HandleFunc("POST /v1/projects/{p}/services/{s}/pause", f.inService(f.pause))
	mux.HandleFunc("POST /v1/projects/{p}/services/{s}/resume", f.resume)
	mux.HandleFunc("GET /v1/projects/{p}/services/{s}/containers", f.inService(f.containers))
	mux.HandleFunc("GET /v1/projects/{p}/services/{s}/logs", f.inService(f.logs))
	mux.HandleFunc("GET /v1/projects/{p}/volumes", f.inProject(f.listVolumes))
	mux.HandleFunc("POST /v1/projects/{p}/volumes", f.createVolume)
	mux.HandleFunc("DELETE /v1/projects/{p}/volumes/{v}", f.inProject(f.deleteVolume))
	f.API = apifake.New(t, f.rateLimited(mux), append([]apifake.Option{apifake.WithName("nffake"),
		apifake.WithRequestID("X-Request-Id"), apifake.WithErrorBody(errorBody)}, opts...)...)
	return f
}

// URL is the base URL to configure the provider with.
func (f *Fake) URL() string { return f.API.URL + "/v1" }

// Lock runs fn with the fake's state locked, to change its switches.
func (f *Fake) Lock(fn func(f *Fake)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func errorBody(status int) any {
	return map[string]any{"error": map[string]any{"status": status, "message": strings.ToLower(http.StatusText(status))}}
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	apifake.WriteJSON(w, status, map[string]any{"error": map[string]any{"status": status, "code": code, "message": msg}})
}

func data(w http.ResponseWriter, v any) {
	apifake.WriteJSON(w, http.StatusOK, map[string]any{"data": v})
}

// rateLimited counts every request against the token's budget, answers with the
// x-ratelimit-* headers, and refuses with 429 once the budget is spent until the window
// resets (an hour after its first request, B10).
func (f *Fake) rateLimited(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		now := time.Now()
		if f.windowStart.IsZero() || now.Sub(f.windowStart) >= f.Window {
			f.windowStart, f.used = now, 0
		}
		f.used++
		remaining := f.Budget - f.used
		reset := f.windowStart.Add(f.Window).Sub(now)
		f.mu.Unlock()
		w.Header().Set("x-ratelimit-limit", strconv.Itoa(f.Budget))
		w.Header().Set("x-ratelimit-remaining", strconv.Itoa(max(remaining, 0)))
		w.Header().Set("x-ratelimit-reset", strconv.FormatFloat(reset.Seconds(), 'f', 3, 64))
		if remaining < 0 {
			fail(w, http.StatusTooManyRequests, "rate-limited", "API rate limit exceeded")
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+f.Token {
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
				f.API.CheckAuth(r, "Bearer "+f.Token)
			}
			fail(w, http.StatusUnauthorized, "unauthorized", "Invalid API token")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// begin decodes body (when not nil) strictly and locks the state; ok is false when an
// answer was already given.
func (f *Fake) begin(w http.ResponseWriter, r *http.Request, body any) (unlock func(), ok bool) {
	if body != nil {
		if err := f.API.DecodeJSON(r, body); err != nil {
			fail(w, http.StatusBadRequest, "invalid-body", err.Error())
			return nil, false
		}
	}
	f.mu.Lock()
	return f.mu.Unlock, true
}

// inProject wraps a handler of one project ({p}) that reads no body: the state is locked
// and a missing project answered 404 before fn runs.
func (f *Fake) inProject(fn func(w http.ResponseWriter, r *http.Request, p *Project)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		unlock, ok := f.begin(w, r, nil)
		if !ok {
			return
		}
		defer unlock()
		if p := f.project(w, r); p != nil {
			fn(w, r, p)
		}
	}
}

// inService is inProject for a handler of one service ({s}).
func (f *Fake) inService(fn func(w http.ResponseWriter, r *http.Request, p *Project, s *Service)) http.HandlerFunc {
	return f.inProject(func(w http.ResponseWriter, r *http.Request, p *Project) {
		s, ok := p.Services[r.PathValue("s")]
		if !ok {
			fail(w, http.StatusNotFound, "not-found", "Service not found")
			return
		}
		fn(w, r, p, s)
	})
}

// slug is the id Northflank derives from a name.
func slug(name string) string {
	return slugDup.ReplaceAllString(strings.ToLower(strings.TrimSpace(name)), "-")
}

func (f *Fake) nextUID() int { f.uid++; return f.uid }

// page cuts items by per_page and cursor and answers with pagination; bare puts the items
// straight under data (the volumes list), else under key.
func (f *Fake) page(w http.ResponseWriter, r *http.Request, items []any, key string, bare bool) {
	per := f.PerPage
	if v := r.URL.Query().Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			fail(w, http.StatusBadRequest, "invalid-query", "per_page must be 1 to 100")
			return
		}
		per = n
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	start = min(max(start, 0), len(items))
	end := min(start+per, len(items))
	pg := map[string]any{"hasNextPage": end < len(items), "count": end - start}
	if end < len(items) {
		pg["cursor"] = strconv.Itoa(end)
	}
	var d any = items[start:end]
	if !bare {
		d = map[string]any{key: items[start:end]}
	}
	apifake.WriteJSON(w, http.StatusOK, map[string]any{"data": d, "pagination": pg})
}

// Find lists the objects whose id contains s: "project/<id>#<uid>", "service/<p>/<id>#<uid>",
// "volume/<p>/<id>#<uid>", sorted. The uid tells a remade object from the first.
func (f *Fake) Find(s string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, p := range f.projects {
		if strings.Contains(p.ID, s) {
			out = append(out, fmt.Sprintf("project/%s#%d", p.ID, p.UID))
		}
		for _, sv := range p.Services {
			if strings.Contains(sv.ID, s) {
				out = append(out, fmt.Sprintf("service/%s/%s#%d", p.ID, sv.ID, sv.UID))
			}
		}
		for _, v := range p.Volumes {
			if strings.Contains(v.ID, s) {
				out = append(out, fmt.Sprintf("volume/%s/%s#%d", p.ID, v.ID, v.UID))
			}
		}
	}
	sort.Strings(out)
	return out
}

// HomeVolume returns "<project>/<volume id>#<uid>" of the one volume attached to a service
// whose id contains env ("" when there is none or more than one): the identity the
// conformance suite's Persistence compares across pause and resume.
func (f *Fake) HomeVolume(env string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, p := range f.projects {
		for _, v := range p.Volumes {
			if sv, ok := p.Services[v.AttachedTo]; ok && strings.Contains(sv.ID, env) {
				out = append(out, fmt.Sprintf("%s/%s#%d", p.ID, v.ID, v.UID))
			}
		}
	}
	if len(out) != 1 {
		return ""
	}
	return out[0]
}

// Project returns a copy of project id's record.
func (f *Fake) Project(id string) (Project, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.projects[id]
	if !ok {
		return Project{}, false
	}
	return *p, true
}

// Service returns a copy of a service's record.
func (f *Fake) Service(project, id string) (Service, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.projects[project]; ok {
		if s, ok := p.Services[id]; ok {
			return *s, true
		}
	}
	return Service{}, false
}

// PutProject adds a project as another user would have made it.
func (f *Fake) PutProject(name, description string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := slug(name)
	f.projects[id] = &Project{ID: id, Name: name, Description: description, Region: "europe-west", UID: f.nextUID(),
		Services: map[string]*Service{}, Volumes: map[string]*Volume{}}
}

// PutService adds a running service to project as another user would have made it.
func (f *Fake) PutService(project, name string, tags ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.projects[project]
	id := slug(name)
	p.Services[id] = &Service{ID: id, Name: name, Tags: tags, Plan: "nf-compute-10", Image: "nginx:1", Instances: 1,
		Status: Completed, UID: f.nextUID(), CreatedAt: time.Now(), UpdatedAt: time.Now()}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
