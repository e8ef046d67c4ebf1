package rest

import (
	"net/http"
	"strings"
	"sync"
)

// Call is one recorded request, with secrets removed: configured secret values, the request's
// own Secrets and the values the auth hook set are replaced by Redacted, the headers the auth
// hook set are left out, and secret query parameters are replaced whole.
type Call struct {
	Op     string
	Method string
	// Path is the escaped path, base path included ("/v1/apps").
	Path string
	// Query is the encoded query, keys sorted ("" when none).
	Query string
	// Body is the JSON body as sent, compact ("" when none).
	Body string
	// Header holds the request's own headers (Request.Header), never the auth hook's.
	Header http.Header
	// DryRun is set when the client recorded the call instead of sending it.
	DryRun bool
}

// String formats the call as one stable line, `POST /v1/apps {"app_name":"x"}`, for golden
// files and Plan.Calls. Headers are not part of the line.
func (c Call) String() string {
	var b strings.Builder
	b.WriteString(c.Method)
	b.WriteByte(' ')
	b.WriteString(c.Path)
	if c.Query != "" {
		b.WriteByte('?')
		b.WriteString(c.Query)
	}
	if c.Body != "" {
		b.WriteByte(' ')
		b.WriteString(c.Body)
	}
	return b.String()
}

// Recorder collects the requests a Client sends (every attempt, retries included) or, in dry
// run, would send. It is safe for concurrent use; the zero value is ready.
type Recorder struct {
	mu    sync.Mutex
	calls []Call
}

// Calls returns a copy of the recorded calls, in the order they were made.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// Lines returns the recorded calls formatted by Call.String.
func (r *Recorder) Lines() []string {
	calls := r.Calls()
	lines := make([]string, len(calls))
	for i, c := range calls {
		lines[i] = c.String()
	}
	return lines
}

// Reset forgets every recorded call.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
}

func (r *Recorder) add(c Call) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}
