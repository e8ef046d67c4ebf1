// Package ui is the operator web view: every preview environment, job and lease at a glance.
// It reads only what the bus already keeps (env records in sindri_envs, leases in
// sindri_locks, events in SINDRI_EVENTS, stream and consumer state) and stores nothing. Pages
// are html/template and work without JavaScript; a few lines of plain JavaScript stream a
// running job's log over server-sent events.
package ui

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/events"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configures a Server. Every field is optional.
type Options struct {
	// Title is shown in every page's header (default "sindri").
	Title string
	// Self is this process's readiness, shown on the bus page (nil: not shown). It returns nil
	// when ready, else the reason.
	Self func() error
	// SelfName names this process on the bus page (default "this process").
	SelfName string
	// OnError receives errors the view cannot show on a page (the events index consumer).
	OnError func(error)
	// Now is the clock (default time.Now).
	Now func() time.Time
	// LogLines bounds the log lines a job page renders (default 1000; the newest are kept).
	LogLines int
	// IdleDeadline is when the executor's idle stop will stop the environment of a record, or
	// zero when it will not (nil: no idle stop here, as on the embedded bus). The executor
	// passes its reaper's own rule (cost.idle_stop after the last activity).
	IdleDeadline func(*events.EnvRecord) time.Time
}

// Server serves the view. Create it with New, start its events index with Run, and serve it as
// an http.Handler.
type Server struct {
	js     jetstream.JetStream
	envs   *events.EnvStore
	locks  jetstream.KeyValue
	leases *events.Leases
	idx    *index
	opts   Options
	pages  map[string]*template.Template
	mux    *http.ServeMux
}

// New opens the buckets the view reads and parses its templates. Errors: a bucket that does
// not exist (events.Setup or EnsureCreated did not run), wrapped.
func New(ctx context.Context, js jetstream.JetStream, opts Options) (*Server, error) {
	if opts.Title == "" {
		opts.Title = "sindri"
	}
	if opts.SelfName == "" {
		opts.SelfName = "this process"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LogLines <= 0 {
		opts.LogLines = 1000
	}
	envs, err := events.OpenEnvStore(ctx, js)
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	locks, err := js.KeyValue(ctx, events.LocksBucket)
	if err != nil {
		return nil, fmt.Errorf("ui: open %s: %w", events.LocksBucket, err)
	}
	s := &Server{js: js, envs: envs, locks: locks, leases: events.NewLeases(locks, 0), idx: newIndex(), opts: opts}
	s.idx.onError = opts.OnError
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// parsePages parses each page template together with the layout.
func parsePages() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, name := range []string{"envs.html", "env.html", "bus.html", "error.html"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// Run keeps the events index up to date until ctx ends. It returns nil when ctx ends.
func (s *Server) Run(ctx context.Context) error { return s.idx.run(ctx, s.js) }

// ServeHTTP serves the view.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Scripts and styles come only from /static: no inline script can run, whatever a page shows.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.handleEnvs)
	m.HandleFunc("GET /envs/{env}", s.handleEnv)
	m.HandleFunc("GET /envs/{env}/jobs/{job}/events", s.handleLive)
	m.HandleFunc("GET /bus", s.handleBus)
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux = m
}

// page is the data every page's layout reads.
type page struct {
	// Indexing is true until the events index has read the history that existed at its start.
	Indexing bool
	Title    string
	Nav      string
	Now      time.Time
	Body     any
}

func (s *Server) render(w http.ResponseWriter, code int, name, nav string, body any) {
	// Rendered whole before anything is sent, so a failure is a clean 500, not half a page.
	var b bytes.Buffer
	if err := s.pages[name].Execute(&b, page{Indexing: !s.idx.isCaughtUp(), Title: s.opts.Title, Nav: nav, Now: s.opts.Now(), Body: body}); err != nil {
		if s.opts.OnError != nil {
			s.opts.OnError(fmt.Errorf("ui: render %s: %w", name, err))
		}
		http.Error(w, "500 internal error: the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = b.WriteTo(w)
}

// fail shows an error page. The message is the view's own text; bus errors are reported to
// OnError and shown only as their kind, since their text may name internals.
func (s *Server) fail(w http.ResponseWriter, code int, msg string, err error) {
	if err != nil && s.opts.OnError != nil {
		s.opts.OnError(err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		msg += " (the bus did not answer in time)"
	}
	s.render(w, code, "error.html", "", msg)
}

// busTimeout bounds the bus requests of one page.
const busTimeout = 10 * time.Second
