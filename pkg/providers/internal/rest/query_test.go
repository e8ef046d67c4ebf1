package rest

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// A Query API request: a form body, an XML answer, a read-only POST sent by a dry run and a
// mutating one recorded only.
func TestFormXMLAndReadOnlyDryRun(t *testing.T) {
	t.Parallel()
	srv, n := counting(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(b))
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded; charset=utf-8" || err != nil || form.Get("Action") == "" {
			t.Errorf("request %s %q, Content-Type %q", r.Method, b, ct)
		}
		if r.Header.Get("Accept") != "text/xml" {
			t.Errorf("Accept %q", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, "<R><name>"+form.Get("Action")+"</name></R>")
	})
	rec := &Recorder{}
	c := newTestClient(t, srv, func(cfg *Config) { cfg.Unmarshal, cfg.Accept = xml.Unmarshal, "text/xml" })
	var out struct {
		Name string `xml:"name"`
	}
	if err := c.Do(context.Background(), Request{Op: "describe", Method: http.MethodPost, Form: url.Values{"Action": {"Describe"}}}, &out); err != nil || out.Name != "Describe" {
		t.Fatalf("Do = %v, out %+v", err, out)
	}
	d := c.DryRun(rec)
	out.Name = ""
	if err := d.Do(context.Background(), Request{Op: "describe", Method: http.MethodPost, Form: url.Values{"Action": {"Describe"}}, ReadOnly: true}, &out); err != nil || out.Name != "Describe" {
		t.Errorf("dry-run read-only POST = %v, out %+v; want it sent", err, out)
	}
	if err := d.Do(context.Background(), Request{Op: "run", Method: http.MethodPost, Form: url.Values{"Action": {"Run"}}}, nil); err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("%d requests reached the server, want 2 (the mutating dry-run POST is only recorded)", got)
	}
	calls := rec.Calls()
	if len(calls) != 2 || calls[1].Body != "Action=Run" || !calls[1].DryRun {
		t.Errorf("recorded %+v", calls)
	}
}

// AttemptTimeout bounds each attempt under a caller's deadline: a held request is retried.
func TestAttemptTimeoutUnderDeadline(t *testing.T) {
	t.Parallel()
	first := make(chan struct{}, 1)
	first <- struct{}{}
	srv, n := counting(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-first:
			<-r.Context().Done() // hold the first request until the client gives up
		default:
			writeJSON(w, http.StatusOK, `{}`)
		}
	})
	c := newTestClient(t, srv, func(cfg *Config) { cfg.AttemptTimeout = 50 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Do(ctx, Request{Op: "get", Method: http.MethodGet}, nil); err != nil {
		t.Fatalf("Do = %v, want the retry to succeed", err)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("%d requests, want 2", got)
	}
}
