package apifake

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// Server is a fault-injecting httptest server in front of a fake's own handler. It logs and
// counts every request, applies the Rules added to it, and holds the fake's shape violations.
// Create it with New; it is closed by t.Cleanup. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, without a trailing slash.
	URL string

	t         TB
	h         http.Handler
	srv       *httptest.Server
	name      string
	idHeader  string
	errorBody func(status int) any
	collect   bool
	seed      uint64
	pending   []Rule
	closed    chan struct{}
	closeOnce sync.Once

	mu         sync.Mutex
	rules      []*ruleState
	added      int
	holds      []*hold
	before     []*beforeHook
	counts     map[string]int
	log        []Entry
	violations []string
	requests   int
}

// TB is the part of testing.TB the server uses: violations fail the test with Errorf, and
// the server is closed by Cleanup.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Cleanup(func())
}

// Option configures a Server in New.
type Option func(*Server)

// WithName prefixes violations ("name: ...") and request ids with name; "apifake" by default.
func WithName(name string) Option { return func(s *Server) { s.name = name } }

// WithSeed seeds the random source of the Probability rules, so a run can be repeated.
func WithSeed(seed uint64) Option { return func(s *Server) { s.seed = seed } }

// WithRules adds rules at start, as Add does.
func WithRules(rules ...Rule) Option {
	return func(s *Server) { s.pending = append(s.pending, rules...) }
}

// WithRequestID sets header on every response to a request id unique within the server
// ("name-1", "name-2", ...), as provider APIs do for support.
func WithRequestID(header string) Option { return func(s *Server) { s.idHeader = header } }

// WithErrorBody sets the body of Status answers whose Action has no Body; by default it is
// {"error": "<status text>"}.
func WithErrorBody(body func(status int) any) Option { return func(s *Server) { s.errorBody = body } }

// CollectViolations keeps violations for Violations only instead of also failing the test,
// for tests that expect them.
func CollectViolations() Option { return func(s *Server) { s.collect = true } }

// New starts a server in front of h, the fake's own handler (usually an *http.ServeMux, whose
// patterns then name the routes in counts and the log). The server is closed by t.Cleanup,
// after hanging and held requests are let go.
func New(t TB, h http.Handler, opts ...Option) *Server {
	t.Helper()
	s := &Server{t: t, h: h, name: "apifake", counts: map[string]int{}, closed: make(chan struct{}),
		errorBody: func(status int) any { return map[string]string{"error": http.StatusText(status)} }}
	for _, o := range opts {
		o(s)
	}
	s.Add(s.pending...)
	s.pending = nil
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close lets hanging and held requests go and closes the server; it is safe to call twice.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.srv.Close()
	})
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Add appends rules; they act on requests arriving from now on, after the rules already added.
func (s *Server) Add(rules ...Rule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rules {
		s.rules = append(s.rules, newRuleState(r, s.seed, s.added))
		s.added++
	}
}

// ClearRules removes every rule, for a test that turns faults off.
func (s *Server) ClearRules() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = nil
}

// hold keeps the requests matching pat waiting until n of them arrived (see Hold).
type hold struct {
	pat     pattern
	n       int
	release chan struct{}
}

// Hold makes the next n requests matching route (a Rule.Route) wait until all n have arrived,
// then lets them all through: overlapping clients are made to overlap without timing.
func (s *Server) Hold(route string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n > 0 {
		s.holds = append(s.holds, &hold{pat: parsePattern(route), n: n, release: make(chan struct{})})
	}
}

type beforeHook struct {
	pat pattern
	fn  func()
}

// Before runs fn when the next request matching route (a Rule.Route) arrives, before it is
// acted on or handled: a test can change the world at an exact point of a client's request
// sequence. Calls queue: each matching request runs the next one.
func (s *Server) Before(route string, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before = append(s.before, &beforeHook{pat: parsePattern(route), fn: fn})
}

// routeOf names r's route: the pattern h routes it by when h is a mux, else "METHOD /path".
func (s *Server) routeOf(r *http.Request) string {
	if m, ok := s.h.(interface {
		Handler(*http.Request) (http.Handler, string)
	}); ok {
		if _, p := m.Handler(r); p != "" {
			return p
		}
	}
	return r.Method + " " + r.URL.Path
}

// arrive logs and counts r and takes what applies to it: its action, hook and hold.
func (s *Server) arrive(r *http.Request, body []byte) (i int, act Action, hook func(), wait chan struct{}, id string) {
	route := s.routeOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[route]++
	s.requests++
	id = s.name + "-" + strconv.Itoa(s.requests)
	e := Entry{Route: route, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: normalizeJSON(body), RequestID: id}
	for _, rs := range s.rules {
		if rs.take(r.Method, r.URL.Path, e.Fault == "") {
			act, e.Fault = rs.Action, rs.label()
		}
	}
	for k, b := range s.before {
		if b.pat.match(r.Method, r.URL.Path) {
			hook = b.fn
			s.before = append(s.before[:k:k], s.before[k+1:]...)
			break
		}
	}
	for k, h := range s.holds {
		if h.pat.match(r.Method, r.URL.Path) {
			wait = h.release
			if h.n--; h.n == 0 {
				close(h.release)
				s.holds = append(s.holds[:k:k], s.holds[k+1:]...)
			}
			break
		}
	}
	s.log = append(s.log, e)
	return len(s.log) - 1, act, hook, wait, id
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	i, act, hook, wait, id := s.arrive(r, body)
	if s.idHeader != "" {
		w.Header().Set(s.idHeader, id)
	}
	if hook != nil {
		hook()
	}
	if s.until(r.Context(), wait) && s.pause(r.Context(), act.Delay) {
		s.act(w, r, act, i)
	} else {
		s.closing(w)
	}
}

// act carries out a on r and notes in log entry i what the client was sent and whether the
// fake's handler ran, before the client can see it.
func (s *Server) act(w http.ResponseWriter, r *http.Request, a Action, i int) {
	switch {
	case a.Hang:
		s.until(r.Context(), make(chan struct{}))
		s.closing(w)
	case a.Drop && !a.Apply:
		s.drop(w, true)
	case a.Apply && (a.Drop || a.Status != 0):
		s.h.ServeHTTP(httptest.NewRecorder(), r)
		if a.Drop {
			s.note(i, 0, true)
			s.drop(w, false)
			return
		}
		s.note(i, a.Status, true)
		s.respond(w, a)
	case a.Status != 0:
		s.note(i, a.Status, false)
		s.respond(w, a)
	default:
		// net/http holds back a small answer until serve returns, so noting it afterwards is
		// in time for a client reading it.
		sw := &statusWriter{ResponseWriter: w}
		s.h.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.note(i, sw.status, true)
	}
}

func (s *Server) note(i, status int, applied bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log[i].Status, s.log[i].Applied = status, applied
}

func (s *Server) respond(w http.ResponseWriter, a Action) {
	for k, vs := range a.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	body := a.Body
	if body == nil {
		body = s.errorBody(a.Status)
	}
	if b, ok := body.([]byte); ok {
		w.WriteHeader(a.Status)
		_, _ = w.Write(b)
	} else {
		WriteJSON(w, a.Status, body)
	}
}

// drop closes the client's connection without an answer; reset makes it a TCP reset.
func (s *Server) drop(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.Violationf("drop: cannot hijack the connection: %v", err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// closing drops the connection of a request that was not answered because the server is
// closing, so that the client does not take an empty 200 for an answer.
func (s *Server) closing(w http.ResponseWriter) {
	select {
	case <-s.closed:
		s.drop(w, false)
	default:
	}
}

// until waits for ch (nil: no wait) and reports whether it came before the client went away
// or the server closed.
func (s *Server) until(ctx context.Context, ch chan struct{}) bool {
	if ch == nil {
		return true
	}
	select {
	case <-ch:
		return true
	case <-ctx.Done():
	case <-s.closed:
	}
	return false
}

// pause waits d and reports whether it did so before the client went away or the server closed.
func (s *Server) pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closed:
	}
	return false
}

// statusWriter notes the status the handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
