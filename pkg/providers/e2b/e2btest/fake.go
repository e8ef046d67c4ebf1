// Package e2btest is a stateful fake of the E2B REST API (sandboxes and v2/v3 templates) for
// tests, built on internal/apifake, following shared/spec/provider-apis/e2b-devpod.md §1-§4
// and §8.
//
// It is strict where the real API is, and stricter where a client mistake would cost users:
// bodies are decoded with unknown fields refused; every request needs X-API-Key (a missing
// one, or a bearer header, is a violation as well as a 401); a create or resume without
// timeout or autoPause is a violation (the server defaults are 15 s and kill); the
// /v2/sandboxes metadata filter must be one parameter holding an encoded k=v&k=v string.
// It models the public sandbox states running and paused, pause of a paused sandbox (409),
// connect (200 running, 201 resumed), kill (204, 404 gone), the concurrency limit (429), the
// plan's maximum timeout (400), X-Next-Token pagination, template builds (waiting →
// building → ready | error, a new build cancelling the in-progress one of the same template)
// and the refusal to delete a template that sandboxes use. Its envd (envd.go) runs a few
// commands through process.Process/Start, routed by the sandbox headers on the same server.
package e2btest

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
)

// Images with special behaviour in template builds.
const (
	// BadImage fails its build: the image cannot be pulled.
	BadImage = "example.com/missing:404"
	// CrashImage builds, but its sandboxes are gone (killed) right after they are created.
	CrashImage = "example.com/crashloop:latest"
)

// BaseTemplate is the public template every fake serves unless NoBase is set.
const BaseTemplate = "base"

// Fake is the fake E2B API. Its switches may be changed under Lock.
type Fake struct {
	// API is the fault-injecting server; its URL is the API base (there is no /v1).
	API *apifake.Server
	// Key is the accepted API key (it starts with e2b_).
	Key string
	// MaxTimeout is the plan's longest run in seconds (Hobby: 3600).
	MaxTimeout int
	// Concurrency is the team's limit of live (running) sandboxes.
	Concurrency int
	// BuildPolls is how many status reads a build spends building.
	BuildPolls int
	// PageSize bounds list pages (1-100), so pagination is exercised.
	PageSize int
	// NoBase removes the public "base" template (a self-hosted cluster without it).
	NoBase bool
	// EnvdVersion is the envd version of new sandboxes; empty means DefaultEnvdVersion.
	EnvdVersion string
	// EnvdStreamError, when set, is the Connect error code (unavailable, internal, ...) the
	// next envd Start ends its stream with once the process has started, as when envd or the
	// proxy fails mid-stream; it is cleared once used.
	EnvdStreamError string

	mu        sync.Mutex
	seq       int
	sandboxes map[string]*Sandbox
	templates map[string]*Template
	pids      int
}

// Sandbox is the fake's record of a sandbox.
type Sandbox struct {
	ID, TemplateID, Alias string
	State                 string // running | paused
	Metadata, EnvVars     map[string]string
	AutoPause, AutoResume bool
	Secure                bool
	// EnvdVersion is its agent's version; EnvdToken the X-Access-Token its envd wants
	// (secure sandboxes only).
	EnvdVersion, EnvdToken string
	AllowInternetAccess    *bool
	Network                *Network
	CPUCount, MemoryMB     int
	StartedAt, EndAt       time.Time
	// Crash makes the sandbox vanish at its first read (its template's image crashes).
	Crash bool
}

// Network is the create body's network object.
type Network struct {
	AllowPublicTraffic *bool    `json:"allowPublicTraffic,omitempty"`
	AllowOut           []string `json:"allowOut,omitempty"`
	DenyOut            []string `json:"denyOut,omitempty"`
	MaskRequestHost    *string  `json:"maskRequestHost,omitempty"`
}

// Template is the fake's record of a template.
type Template struct {
	ID                 string
	Names              []string
	Public             bool
	CPUCount, MemoryMB int
	Builds             []*Build
}

// Build is one build of a template.
type Build struct {
	ID, Status         string // waiting | building | ready | error
	FromImage          string
	Registry           *RegistryAuth
	CPUCount, MemoryMB int
	Polls              int
	Logs               []LogEntry
	Reason             string
}

// RegistryAuth is fromImageRegistry.
type RegistryAuth struct {
	Type     string `json:"type"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// LogEntry is one build log entry.
type LogEntry struct {
	Timestamp string `json:"timestamp"`
	Level     string `json:"level"`
	Message   string `json:"message"`
}

// New starts a fake accepting key, with opts for the apifake server.
func New(t apifake.TB, key string, opts ...apifake.Option) *Fake {
	f := &Fake{Key: key, MaxTimeout: 3600, Concurrency: 20, BuildPolls: 2, PageSize: 100,
		sandboxes: map[string]*Sandbox{}, templates: map[string]*Template{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sandboxes", f.create)
	mux.HandleFunc("GET /v2/sandboxes", f.list)
	mux.HandleFunc("GET /sandboxes/{id}", f.get)
	mux.HandleFunc("DELETE /sandboxes/{id}", f.kill)
	mux.HandleFunc("POST /sandboxes/{id}/timeout", f.timeout)
	mux.HandleFunc("POST /sandboxes/{id}/pause", f.pause)
	mux.HandleFunc("POST /sandboxes/{id}/connect", f.connect)
	mux.HandleFunc("POST /sandboxes/{id}/resume", f.resume)
	mux.HandleFunc("POST /v3/templates", f.requestBuild)
	mux.HandleFunc("POST /v2/templates/{tid}/builds/{bid}", f.startBuild)
	mux.HandleFunc("GET /templates/{tid}/builds/{bid}/status", f.buildStatus)
	mux.HandleFunc("GET /templates/aliases/{alias}", f.alias)
	mux.HandleFunc("GET /v2/templates", f.listTemplates)
	mux.HandleFunc("DELETE /templates/{tid}", f.deleteTemplate)
	mux.HandleFunc("/v1/", f.noV1)
	mux.HandleFunc("POST "+EnvdPath, f.envdStart)
	f.API = apifake.New(t, mux, append([]apifake.Option{apifake.WithName("e2bfake"),
		apifake.WithRequestID("X-Request-Id"), apifake.WithErrorBody(errorBody)}, opts...)...)
	return f
}

// URL is the API base URL to configure the provider with.
func (f *Fake) URL() string { return f.API.URL }

// Lock runs fn with the fake's state locked, to change its switches.
func (f *Fake) Lock(fn func(f *Fake)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func errorBody(status int) any {
	return map[string]any{"code": status, "message": strings.ToLower(http.StatusText(status))}
}

func fail(w http.ResponseWriter, status int, msg string) {
	apifake.WriteJSON(w, status, map[string]any{"code": status, "message": msg})
}

func notFound(w http.ResponseWriter, id string) {
	fail(w, http.StatusNotFound, fmt.Sprintf("Sandbox %q doesn't exist or you don't have access to it", id))
}

func (f *Fake) noV1(w http.ResponseWriter, r *http.Request) {
	f.API.Violationf("%s %s: the E2B API has no /v1 prefix", r.Method, r.URL.Path)
	fail(w, http.StatusNotFound, "not found")
}

// auth checks X-API-Key. A missing header or a bearer token is the client's mistake (a
// violation as well as a 401); a wrong key is the user's.
func (f *Fake) auth(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		f.API.Violationf("%s %s: Authorization header sent; E2B API keys go in X-API-Key", r.Method, r.URL.Path)
	}
	got := r.Header.Get("X-API-Key")
	switch {
	case got == "":
		f.API.Violationf("%s %s: no X-API-Key header", r.Method, r.URL.Path)
		fail(w, http.StatusUnauthorized, "authorization header is missing")
		return false
	case got != f.Key:
		fail(w, http.StatusUnauthorized, "Invalid API key, please visit https://e2b.dev/docs/api-key to get your API key\nInvalid API key format")
		return false
	}
	return true
}

// begin checks the key, decodes body (when not nil) strictly, and locks the state; the
// caller runs unlock. ok is false when an answer was already given.
func (f *Fake) begin(w http.ResponseWriter, r *http.Request, body any) (unlock func(), ok bool) {
	if !f.auth(w, r) {
		return nil, false
	}
	if body != nil {
		if err := f.API.DecodeJSON(r, body); err != nil {
			fail(w, http.StatusBadRequest, "validation error: error in openapi3filter.RequestError: "+err.Error())
			return nil, false
		}
	}
	f.mu.Lock()
	return f.mu.Unlock, true
}

// next returns a new id of n characters from [a-z0-9], sequential so golden files are stable.
func (f *Fake) next(prefix string, n int) string {
	f.seq++
	s := strconv.FormatInt(int64(f.seq), 36)
	return prefix + strings.Repeat("0", n-len(prefix)-len(s)) + s
}

func (f *Fake) uuid() string {
	f.seq++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", f.seq)
}

// sandboxID reads the path's id: the legacy <id>-<clientID> form drops the suffix; two
// dashes or more are a 400. ok is false when an answer was given.
func sandboxID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if strings.Count(id, "-") >= 2 {
		fail(w, http.StatusBadRequest, "Invalid sandbox ID")
		return "", false
	}
	id, _, _ = strings.Cut(id, "-")
	return id, true
}

// lookup returns the path's sandbox under the lock, or answers 404. A crashing sandbox
// vanishes at its first read.
func (f *Fake) lookup(w http.ResponseWriter, r *http.Request) *Sandbox {
	id, ok := sandboxID(w, r)
	if !ok {
		return nil
	}
	sb := f.sandboxes[id]
	if sb != nil && sb.Crash {
		delete(f.sandboxes, id)
		sb = nil
	}
	if sb == nil {
		notFound(w, id)
	}
	return sb
}

// onSandbox checks the key, decodes body (when not nil), locks the state and runs fn with
// the path's sandbox; a missing one is answered 404.
func (f *Fake) onSandbox(w http.ResponseWriter, r *http.Request, body any, fn func(sb *Sandbox)) {
	unlock, ok := f.begin(w, r, body)
	if !ok {
		return
	}
	defer unlock()
	if sb := f.lookup(w, r); sb != nil {
		fn(sb)
	}
}

func (f *Fake) running() int {
	n := 0
	for _, sb := range f.sandboxes {
		if sb.State == "running" {
			n++
		}
	}
	return n
}

func (f *Fake) concurrencyRefused(w http.ResponseWriter) bool {
	if f.running() < f.Concurrency {
		return false
	}
	fail(w, http.StatusTooManyRequests, fmt.Sprintf("you have reached the maximum number of concurrent E2B sandboxes (%d). If you need more, please visit 'https://e2b.dev/docs/billing'", f.Concurrency))
	return true
}

// checkTimeout validates a create/resume/connect timeout; "" when valid.
func (f *Fake) checkTimeout(t int) string {
	switch {
	case t <= 0:
		return "Timeout must be greater than 0"
	case t > f.MaxTimeout:
		return fmt.Sprintf("Timeout cannot be greater than %d hours", f.MaxTimeout/3600)
	}
	return ""
}

// slim is the Sandbox answer of create, connect and resume.
func slim(sb *Sandbox) map[string]any {
	v := map[string]any{"templateID": sb.TemplateID, "sandboxID": sb.ID, "clientID": "6532622b", "alias": sb.Alias,
		"envdVersion": sb.EnvdVersion, "domain": nil}
	if sb.Secure {
		v["envdAccessToken"] = sb.EnvdToken
	}
	return v
}

type newSandbox struct {
	TemplateID          string            `json:"templateID"`
	Timeout             *int              `json:"timeout"`
	AutoPause           *bool             `json:"autoPause"`
	AutoPauseMemory     *bool             `json:"autoPauseMemory"`
	AutoResume          *autoResume       `json:"autoResume"`
	Secure              *bool             `json:"secure"`
	AllowInternetAccess *bool             `json:"allow_internet_access"`
	Network             *Network          `json:"network"`
	Metadata            map[string]string `json:"metadata"`
	EnvVars             map[string]string `json:"envVars"`
}

type autoResume struct {
	Enabled bool `json:"enabled"`
}

func (f *Fake) create(w http.ResponseWriter, r *http.Request) {
	var req newSandbox
	unlock, ok := f.begin(w, r, &req)
	if !ok {
		return
	}
	defer unlock()
	if req.Timeout == nil {
		f.API.Violationf("POST /sandboxes without timeout: the sandbox would live 15 s")
		req.Timeout = ptr(15)
	}
	if req.AutoPause == nil {
		f.API.Violationf("POST /sandboxes without autoPause: the sandbox would be killed at its timeout")
		req.AutoPause = ptr(false)
	}
	if msg := f.checkTimeout(*req.Timeout); msg != "" {
		fail(w, http.StatusBadRequest, msg)
		return
	}
	secure := req.Secure != nil && *req.Secure
	if req.Network != nil && req.Network.AllowPublicTraffic != nil && !*req.Network.AllowPublicTraffic && !secure {
		fail(w, http.StatusBadRequest, "allowPublicTraffic: false requires secure: true")
		return
	}
	tpl := f.resolve(req.TemplateID)
	if tpl == nil {
		fail(w, http.StatusNotFound, fmt.Sprintf("template '%s' not found", req.TemplateID))
		return
	}
	b := tpl.ready()
	if b == nil {
		fail(w, http.StatusBadRequest, fmt.Sprintf("template '%s' has no successful build", req.TemplateID))
		return
	}
	if f.concurrencyRefused(w) {
		return
	}
	now := time.Now().UTC()
	sb := &Sandbox{ID: f.next("i", 21), TemplateID: tpl.ID, State: "running", Metadata: req.Metadata, EnvVars: req.EnvVars,
		AutoPause: *req.AutoPause, AutoResume: req.AutoResume != nil && req.AutoResume.Enabled, Secure: secure,
		AllowInternetAccess: req.AllowInternetAccess, Network: req.Network, CPUCount: b.CPUCount, MemoryMB: b.MemoryMB,
		StartedAt: now, EndAt: now.Add(time.Duration(*req.Timeout) * time.Second), Crash: b.FromImage == CrashImage,
		EnvdVersion: f.envdVersion()}
	if len(tpl.Names) > 0 {
		sb.Alias = tpl.Names[0]
	}
	if secure {
		sb.EnvdToken = "envd-token-" + sb.ID
	}
	f.sandboxes[sb.ID] = sb
	out := slim(sb)
	if req.Network != nil && req.Network.AllowPublicTraffic != nil && !*req.Network.AllowPublicTraffic {
		out["trafficAccessToken"] = "traffic-token-" + sb.ID
	}
	apifake.WriteJSON(w, http.StatusCreated, out)
}

// resolve finds a template by id, name or name:tag ("default" is no tag).
func (f *Fake) resolve(ref string) *Template {
	ref = strings.ToLower(strings.TrimSpace(ref))
	name, tag, _ := strings.Cut(ref, ":")
	if tag != "" && tag != "default" {
		return nil
	}
	if name == BaseTemplate && !f.NoBase {
		return baseTemplate
	}
	for _, t := range f.templates {
		if t.ID == name || slices.Contains(t.Names, name) {
			return t
		}
	}
	return nil
}

var baseTemplate = &Template{ID: "rki5dems9wqfm4r03t7g", Names: []string{BaseTemplate}, Public: true, CPUCount: 2, MemoryMB: 512,
	Builds: []*Build{{ID: "00000000-0000-4000-8000-0000000000ba", Status: "ready", CPUCount: 2, MemoryMB: 512}}}

func (t *Template) ready() *Build {
	for i := len(t.Builds) - 1; i >= 0; i-- {
		if t.Builds[i].Status == "ready" {
			return t.Builds[i]
		}
	}
	return nil
}

// detail is SandboxDetail (GET /sandboxes/{id}); listed leaves out lifecycle and domain.
func (f *Fake) detail(sb *Sandbox, listed bool) map[string]any {
	v := map[string]any{"templateID": sb.TemplateID, "alias": sb.Alias, "sandboxID": sb.ID, "clientID": "6532622b",
		"startedAt": sb.StartedAt.Format(time.RFC3339), "endAt": sb.EndAt.Format(time.RFC3339), "cpuCount": sb.CPUCount,
		"memoryMB": sb.MemoryMB, "diskSizeMB": 10240, "state": sb.State, "envdVersion": sb.EnvdVersion, "metadata": sb.Metadata}
	if listed {
		return v
	}
	if sb.Secure {
		v["envdAccessToken"] = sb.EnvdToken
	}
	onTimeout := "kill"
	if sb.AutoPause {
		onTimeout = "pause"
	}
	v["lifecycle"] = map[string]any{"autoResume": sb.AutoResume, "onTimeout": onTimeout}
	v["domain"] = nil
	if sb.AllowInternetAccess != nil {
		v["allowInternetAccess"] = *sb.AllowInternetAccess
	}
	if sb.Network != nil {
		v["network"] = sb.Network
	}
	return v
}

func (f *Fake) get(w http.ResponseWriter, r *http.Request) {
	f.onSandbox(w, r, nil, func(sb *Sandbox) { apifake.WriteJSON(w, http.StatusOK, f.detail(sb, false)) })
}

var listParams = []string{"state", "metadata", "limit", "nextToken", "order", "template", "startedAfter"}

func (f *Fake) list(w http.ResponseWriter, r *http.Request) {
	unlock, ok := f.begin(w, r, nil)
	if !ok {
		return
	}
	defer unlock()
	q := r.URL.Query()
	for k, vs := range q {
		if !slices.Contains(listParams, k) {
			f.API.Violationf("GET /v2/sandboxes: unknown query parameter %q (metadata is one parameter holding k=v&k=v)", k)
		}
		if len(vs) > 1 {
			f.API.Violationf("GET /v2/sandboxes: parameter %q given %d times", k, len(vs))
		}
	}
	filter, err := parseMetadata(q.Get("metadata"))
	if err != nil {
		fail(w, http.StatusBadRequest, "invalid metadata filter: "+err.Error())
		return
	}
	states := []string{"running", "paused"}
	if s := q.Get("state"); s != "" {
		states = strings.Split(s, ",")
	}
	var all []*Sandbox
	for _, sb := range f.sandboxes {
		if sb.Crash || !slices.Contains(states, sb.State) || !matches(sb.Metadata, filter) {
			continue
		}
		all = append(all, sb)
	}
	slices.SortFunc(all, func(a, b *Sandbox) int {
		if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	page, next, ok := f.page(w, q, len(all))
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, sb := range all[page[0]:page[1]] {
		out = append(out, f.detail(sb, true))
	}
	if next != "" {
		w.Header().Set("X-Next-Token", next)
	}
	if slices.Contains(states, "running") {
		n := 0
		for _, sb := range all {
			if sb.State == "running" {
				n++
			}
		}
		w.Header().Set("X-Total-Running", strconv.Itoa(n))
	}
	apifake.WriteJSON(w, http.StatusOK, out)
}

// page applies limit and nextToken (an offset here) to n items. ok is false when an answer
// was given.
func (f *Fake) page(w http.ResponseWriter, q url.Values, n int) (bounds [2]int, next string, ok bool) {
	limit := min(100, f.PageSize)
	if s := q.Get("limit"); s != "" {
		l, err := strconv.Atoi(s)
		if err != nil || l < 1 || l > 100 {
			fail(w, http.StatusBadRequest, "limit must be between 1 and 100")
			return bounds, "", false
		}
		limit = min(l, limit)
	}
	start := 0
	if tok := q.Get("nextToken"); tok != "" {
		s, err := strconv.Atoi(strings.TrimPrefix(tok, "tok-"))
		if err != nil || s < 0 || !strings.HasPrefix(tok, "tok-") {
			fail(w, http.StatusBadRequest, "invalid next token")
			return bounds, "", false
		}
		start = min(s, n)
	}
	end := min(start+limit, n)
	if end < n {
		next = "tok-" + strconv.Itoa(end)
	}
	return [2]int{start, end}, next, true
}

// parseMetadata reads the metadata filter as the server does: the whole value is one
// decoded string split on & and =, each part decoded again.
func parseMetadata(s string) (map[string]string, error) {
	out := map[string]string{}
	if s == "" {
		return out, nil
	}
	for _, pair := range strings.Split(s, "&") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not key=value", pair)
		}
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%q is not URL-encoded", pair)
		}
		out[dk] = dv
	}
	return out, nil
}

func matches(meta, filter map[string]string) bool {
	for k, v := range filter {
		if got, ok := meta[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func (f *Fake) kill(w http.ResponseWriter, r *http.Request) {
	f.onSandbox(w, r, nil, func(sb *Sandbox) {
		delete(f.sandboxes, sb.ID)
		w.WriteHeader(http.StatusNoContent)
	})
}

type timeoutReq struct {
	Timeout *int `json:"timeout"`
}

func (f *Fake) timeout(w http.ResponseWriter, r *http.Request) {
	var req timeoutReq
	f.onSandbox(w, r, &req, func(sb *Sandbox) {
		switch {
		case req.Timeout == nil || *req.Timeout < 0:
			f.API.Violationf("POST /timeout needs {\"timeout\": seconds >= 0}")
			fail(w, http.StatusBadRequest, "validation error: timeout is required")
		case sb.State == "paused":
			notFound(w, sb.ID) // paused sandboxes are not in the live store
		default:
			end := time.Now().UTC().Add(time.Duration(*req.Timeout) * time.Second)
			if limit := sb.StartedAt.Add(time.Duration(f.MaxTimeout) * time.Second); end.After(limit) {
				end = limit // silently capped at the plan's maximum run
			}
			sb.EndAt = end
			w.WriteHeader(http.StatusNoContent)
		}
	})
}

func (f *Fake) pause(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Memory *bool `json:"memory"`
	}
	var body any
	if r.ContentLength != 0 {
		body = &req
	}
	f.onSandbox(w, r, body, func(sb *Sandbox) {
		if sb.State == "paused" {
			fail(w, http.StatusConflict, fmt.Sprintf("Error pausing sandbox - sandbox '%s' is already paused", sb.ID))
			return
		}
		sb.State, sb.EndAt = "paused", time.Now().UTC()
		w.WriteHeader(http.StatusNoContent)
	})
}

func (f *Fake) connect(w http.ResponseWriter, r *http.Request) {
	var req timeoutReq
	f.onSandbox(w, r, &req, func(sb *Sandbox) {
		if req.Timeout == nil {
			f.API.Violationf("POST /connect without timeout (it is required)")
			fail(w, http.StatusBadRequest, "validation error: timeout is required")
			return
		}
		if msg := f.checkTimeout(*req.Timeout); msg != "" {
			fail(w, http.StatusBadRequest, msg)
			return
		}
		if sb.State == "running" {
			if end := time.Now().UTC().Add(time.Duration(*req.Timeout) * time.Second); end.After(sb.EndAt) {
				sb.EndAt = end // connect only extends
			}
			apifake.WriteJSON(w, http.StatusOK, slim(sb))
			return
		}
		if !f.concurrencyRefused(w) {
			f.wake(sb, *req.Timeout)
			apifake.WriteJSON(w, http.StatusCreated, slim(sb))
		}
	})
}

func (f *Fake) wake(sb *Sandbox, timeout int) {
	now := time.Now().UTC()
	sb.State, sb.StartedAt, sb.EndAt = "running", now, now.Add(time.Duration(timeout)*time.Second)
}

func (f *Fake) resume(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Timeout   *int  `json:"timeout"`
		AutoPause *bool `json:"autoPause"`
	}
	f.onSandbox(w, r, &req, func(sb *Sandbox) {
		if req.Timeout == nil {
			f.API.Violationf("POST /resume without timeout: the sandbox would live 15 s")
			req.Timeout = ptr(15)
		}
		switch msg := f.checkTimeout(*req.Timeout); {
		case msg != "":
			fail(w, http.StatusBadRequest, msg)
		case sb.State == "running":
			fail(w, http.StatusConflict, fmt.Sprintf("Sandbox %s is already running", sb.ID))
		case !f.concurrencyRefused(w):
			if req.AutoPause != nil {
				sb.AutoPause = *req.AutoPause
			}
			f.wake(sb, *req.Timeout)
			apifake.WriteJSON(w, http.StatusCreated, slim(sb))
		}
	})
}

var (
	templateNameRE = regexp.MustCompile(`^[a-z0-9_-]{1,128}$`)
	tagRE          = regexp.MustCompile(`^[a-z0-9_.-]+$`)
)

func (f *Fake) requestBuild(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name     string   `json:"name"`
		Tags     []string `json:"tags"`
		CPUCount *int     `json:"cpuCount"`
		MemoryMB *int     `json:"memoryMB"`
		TeamID   string   `json:"teamID"`
	}
	unlock, ok := f.begin(w, r, &req)
	if !ok {
		return
	}
	defer unlock()
	name, tag, _ := strings.Cut(req.Name, ":")
	switch {
	case !templateNameRE.MatchString(name) || (tag != "" && !tagRE.MatchString(tag)):
		fail(w, http.StatusBadRequest, fmt.Sprintf("invalid template name %q: lower-case [a-z0-9-_], tag [a-z0-9-_.]", req.Name))
		return
	case req.CPUCount != nil && *req.CPUCount < 1, req.MemoryMB != nil && *req.MemoryMB < 128:
		fail(w, http.StatusBadRequest, "cpuCount must be at least 1 and memoryMB at least 128")
		return
	}
	var t *Template
	for _, c := range f.templates {
		if slices.Contains(c.Names, name) {
			t = c
		}
	}
	if t == nil {
		t = &Template{ID: f.next("t", 20), Names: []string{name}}
		f.templates[t.ID] = t
	}
	b := &Build{ID: f.uuid(), Status: "waiting", CPUCount: 2, MemoryMB: 1024}
	if req.CPUCount != nil {
		b.CPUCount = *req.CPUCount
	}
	if req.MemoryMB != nil {
		b.MemoryMB = *req.MemoryMB
	}
	t.Builds = append(t.Builds, b)
	apifake.WriteJSON(w, http.StatusAccepted, map[string]any{"templateID": t.ID, "buildID": b.ID, "names": t.Names,
		"tags": req.Tags, "aliases": t.Names, "public": false})
}

func (f *Fake) build(w http.ResponseWriter, r *http.Request, unknown int) (*Template, *Build) {
	t := f.templates[r.PathValue("tid")]
	if t != nil {
		for _, b := range t.Builds {
			if b.ID == r.PathValue("bid") {
				return t, b
			}
		}
	}
	fail(w, unknown, fmt.Sprintf("Build '%s' not found", r.PathValue("bid")))
	return nil, nil
}

func (f *Fake) startBuild(w http.ResponseWriter, r *http.Request) {
	var req struct {
		FromImage         string        `json:"fromImage"`
		FromTemplate      string        `json:"fromTemplate"`
		FromImageRegistry *RegistryAuth `json:"fromImageRegistry"`
		Steps             []any         `json:"steps"`
		StartCmd          string        `json:"startCmd"`
		ReadyCmd          string        `json:"readyCmd"`
		Force             bool          `json:"force"`
	}
	unlock, ok := f.begin(w, r, &req)
	if !ok {
		return
	}
	defer unlock()
	t, b := f.build(w, r, http.StatusNotFound)
	switch {
	case b == nil:
		return
	case b.Status != "waiting":
		fail(w, http.StatusBadRequest, "build is not in waiting state")
		return
	case (req.FromImage == "") == (req.FromTemplate == ""):
		fail(w, http.StatusBadRequest, "exactly one of fromImage and fromTemplate is required")
		return
	}
	for _, o := range t.Builds {
		if o != b && (o.Status == "building" || o.Status == "waiting") {
			o.Status, o.Reason = "error", "build was cancelled by a newer build of the template"
		}
	}
	b.Status, b.FromImage, b.Registry = "building", req.FromImage, req.FromImageRegistry
	b.Logs = append(b.Logs, LogEntry{Timestamp: time.Now().UTC().Format(time.RFC3339), Level: "info", Message: "Building template " + t.ID + "/" + b.ID})
	w.WriteHeader(http.StatusAccepted)
}

func (f *Fake) buildStatus(w http.ResponseWriter, r *http.Request) {
	unlock, ok := f.begin(w, r, nil)
	if !ok {
		return
	}
	defer unlock()
	t, b := f.build(w, r, http.StatusBadRequest) // an unknown build is a 400, not a 404
	if b == nil {
		return
	}
	f.advance(t, b)
	off, _ := strconv.Atoi(r.URL.Query().Get("logsOffset"))
	off = min(max(off, 0), len(b.Logs))
	entries := b.Logs[off:min(off+100, len(b.Logs))]
	logs := make([]string, len(entries))
	for i, e := range entries {
		logs[i] = e.Message
	}
	out := map[string]any{"templateID": t.ID, "buildID": b.ID, "status": b.Status, "logs": logs, "logEntries": entries}
	if b.Status == "error" {
		out["reason"] = map[string]any{"message": b.Reason}
	}
	apifake.WriteJSON(w, http.StatusOK, out)
}

// advance moves a building build one poll along.
func (f *Fake) advance(t *Template, b *Build) {
	if b.Status != "building" {
		return
	}
	b.Polls++
	if b.Polls <= f.BuildPolls {
		b.Logs = append(b.Logs, LogEntry{Timestamp: time.Now().UTC().Format(time.RFC3339), Level: "info", Message: fmt.Sprintf("[%d/%d] pulling %s", b.Polls, f.BuildPolls+1, b.FromImage)})
		return
	}
	if b.FromImage == BadImage {
		b.Status, b.Reason = "error", "failed to pull image "+b.FromImage+": manifest unknown"
		b.Logs = append(b.Logs, LogEntry{Level: "error", Message: "Error: pull " + b.FromImage + ": 404 manifest unknown"})
		return
	}
	b.Status = "ready"
	t.CPUCount, t.MemoryMB = b.CPUCount, b.MemoryMB
	b.Logs = append(b.Logs, LogEntry{Level: "info", Message: "Template is ready"})
}

func (f *Fake) alias(w http.ResponseWriter, r *http.Request) {
	unlock, ok := f.begin(w, r, nil)
	if !ok {
		return
	}
	defer unlock()
	t := f.resolve(r.PathValue("alias"))
	switch {
	case t == nil:
		fail(w, http.StatusNotFound, fmt.Sprintf("template '%s' not found", r.PathValue("alias")))
	case t.Public:
		fail(w, http.StatusForbidden, fmt.Sprintf("You don't have access to template '%s'", r.PathValue("alias")))
	default:
		apifake.WriteJSON(w, http.StatusOK, map[string]any{"templateID": t.ID, "public": false})
	}
}

func (f *Fake) listTemplates(w http.ResponseWriter, r *http.Request) {
	unlock, ok := f.begin(w, r, nil)
	if !ok {
		return
	}
	defer unlock()
	ids := make([]string, 0, len(f.templates))
	for id := range f.templates {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	page, next, ok := f.page(w, r.URL.Query(), len(ids))
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, id := range ids[page[0]:page[1]] {
		t := f.templates[id]
		last := t.Builds[len(t.Builds)-1]
		buildID := ""
		if b := t.ready(); b != nil {
			buildID = b.ID
		}
		out = append(out, map[string]any{"templateID": t.ID, "buildID": buildID, "cpuCount": t.CPUCount, "memoryMB": t.MemoryMB,
			"diskSizeMB": 10240, "public": false, "aliases": t.Names, "names": t.Names, "buildStatus": last.Status,
			"buildCount": len(t.Builds), "spawnCount": 0, "envdVersion": "0.2.4", "createdBy": nil, "lastSpawnedAt": nil})
	}
	if next != "" {
		w.Header().Set("X-Next-Token", next)
	}
	apifake.WriteJSON(w, http.StatusOK, out)
}

func (f *Fake) deleteTemplate(w http.ResponseWriter, r *http.Request) {
	unlock, ok := f.begin(w, r, nil)
	if !ok {
		return
	}
	defer unlock()
	ref := r.PathValue("tid")
	t := f.resolve(ref)
	switch {
	case t == nil:
		fail(w, http.StatusNotFound, fmt.Sprintf("template '%s' not found", ref))
		return
	case t.Public:
		fail(w, http.StatusForbidden, fmt.Sprintf("You don't have access to template '%s'", ref))
		return
	}
	for _, sb := range f.sandboxes {
		if sb.TemplateID == t.ID {
			fail(w, http.StatusBadRequest, fmt.Sprintf("cannot delete template '%s' because there are %s sandboxes using it", t.ID, sb.State))
			return
		}
	}
	delete(f.templates, t.ID)
	w.WriteHeader(http.StatusNoContent)
}

func ptr[T any](v T) *T { return &v }

func (f *Fake) envdVersion() string {
	if f.EnvdVersion != "" {
		return f.EnvdVersion
	}
	return DefaultEnvdVersion
}
