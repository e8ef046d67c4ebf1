package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestRecorderLines(t *testing.T) {
	t.Parallel()
	srv, _ := counting(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{}`) })
	rec := &Recorder{}
	c := newTestClient(t, srv, func(cfg *Config) { cfg.Recorder = rec })
	ctx := context.Background()
	type app struct {
		AppName string `json:"app_name"`
		OrgSlug string `json:"org_slug"`
	}
	for _, req := range []Request{
		{Op: "create app", Method: http.MethodPost, Path: "apps", Body: app{"x", "personal"}},
		{Op: "list machines", Path: "apps/x/machines", Query: map[string][]string{"metadata.sindri_env": {"pr-1"}, "include_deleted": {"false"}}},
		{Op: "set", Method: http.MethodPost, Path: "apps/x/secrets", Body: map[string]string{"b": "2", "a": "<1>"}},
	} {
		if err := c.Do(ctx, req, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		`POST /v1/apps {"app_name":"x","org_slug":"personal"}`,
		`GET /v1/apps/x/machines?include_deleted=false&metadata.sindri_env=pr-1`,
		`POST /v1/apps/x/secrets {"a":"<1>","b":"2"}`,
	}
	if got := rec.Lines(); !slices.Equal(got, want) {
		t.Errorf("Lines =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	rec.Reset()
	if len(rec.Calls()) != 0 {
		t.Error("Reset left calls behind")
	}
}

// TestSecretCanary sends secrets every way a request can carry them, has the server echo
// them back in its error, and checks that no recording and no error shows them.
func TestSecretCanary(t *testing.T) {
	t.Parallel()
	const (
		token       = "fm2_TOKEN_CANARY_9f8e"
		bodySecret  = `BODY_CANARY "quoted" <tag> & more/+`
		querySecret = "QUERY_CANARY_77"
		configured  = "CONFIGURED_CANARY_42"
	)
	canaries := []string{token, bodySecret, querySecret, configured}
	srv, _ := counting(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v1/drop" {
			dropConnection(t, w)
			return
		}
		echo, _ := json.Marshal(map[string]string{
			"message": fmt.Sprintf("bad request %s %s auth=%s body=%s", r.URL.RawQuery, r.Header.Get("X-Note"), r.Header.Get("Authorization"), b),
			"code":    configured,
		})
		w.Header().Set("X-Request-Id", "req-1")
		writeJSON(w, 400, string(echo))
	})
	rec := &Recorder{}
	c := newTestClient(t, srv, func(cfg *Config) {
		cfg.Auth = BearerAuth("FlyV1 " + token)
		cfg.Secrets = []string{configured}
		cfg.SecretParams = []string{"access_token"}
		cfg.Recorder = rec
		cfg.RequestIDHeaders = []string{"x-request-id"}
	})
	req := Request{
		Op: "create sandbox", Method: http.MethodPost, Path: "sandboxes",
		Query:   map[string][]string{"access_token": {querySecret}, "note": {configured}},
		Header:  http.Header{"X-Note": {configured}},
		Body:    map[string]any{"envVars": map[string]string{"API_KEY": bodySecret}, "templateID": "base"},
		Secrets: []string{bodySecret},
	}
	var texts []string
	err := c.Do(context.Background(), req, nil)
	if err == nil {
		t.Fatal("want the echoed 400")
	}
	texts = append(texts, err.Error(), fmt.Sprintf("%+v", err))
	req.Path = "drop"
	err = c.Do(context.Background(), req, nil)
	if err == nil {
		t.Fatal("want the dropped connection's error")
	}
	texts = append(texts, err.Error(), fmt.Sprintf("%+v", err))
	dry := &Recorder{}
	if err := c.DryRun(dry).Do(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	for _, rc := range []*Recorder{rec, dry} {
		texts = append(texts, rc.Lines()...)
		for _, call := range rc.Calls() {
			texts = append(texts, fmt.Sprintf("%+v", call))
			if call.Header.Get("Authorization") != "" {
				t.Errorf("recorded the auth header: %v", call.Header)
			}
		}
	}
	all := strings.Join(texts, "\n")
	for _, canary := range canaries {
		for _, form := range encodedForms(canary) {
			if strings.Contains(all, form) {
				t.Errorf("secret %q (as %q) appears in:\n%s", canary, form, all)
			}
		}
	}
	if !strings.Contains(all, Redacted) || !strings.Contains(all, "req-1") || !strings.Contains(all, `"templateID":"base"`) {
		t.Errorf("want redacted placeholders, the request id and the body's other fields in:\n%s", all)
	}
}

func TestDryRunSendsOnlyReads(t *testing.T) {
	t.Parallel()
	srv, hits := counting(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			t.Errorf("dry run sent %s %s", r.Method, r.URL.Path)
		}
		writeJSON(w, 200, `{"name":"x"}`)
	})
	c := newTestClient(t, srv, nil)
	rec := &Recorder{}
	d := c.DryRun(rec)
	ctx := context.Background()
	var got struct{ Name string }
	if err := d.Do(ctx, Request{Op: "get app", Path: "apps/x"}, &got); err != nil || got.Name != "x" {
		t.Fatalf("read in dry run = %v, %+v; want it sent and decoded", err, got)
	}
	recovered := false
	err := d.Do(ctx, Request{Op: "create machine", Method: http.MethodPost, Path: "apps/x/machines", Body: map[string]string{"region": "iad"},
		Recover: func(context.Context) (bool, error) { recovered = true; return true, nil }}, &got)
	if err != nil || recovered {
		t.Fatalf("dry-run create = %v (recovered %v), want nil without Recover", err, recovered)
	}
	if err := d.Do(ctx, Request{Op: "delete app", Method: http.MethodDelete, Path: "apps/x"}, nil); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 1 {
		t.Errorf("server hits = %d, want only the read", hits.Load())
	}
	calls := rec.Calls()
	want := []string{`GET /v1/apps/x`, `POST /v1/apps/x/machines {"region":"iad"}`, `DELETE /v1/apps/x`}
	if got := rec.Lines(); !slices.Equal(got, want) {
		t.Errorf("Lines = %q, want %q", got, want)
	}
	if calls[0].DryRun || !calls[1].DryRun || !calls[2].DryRun {
		t.Errorf("DryRun flags = %v %v %v, want false true true", calls[0].DryRun, calls[1].DryRun, calls[2].DryRun)
	}
}
