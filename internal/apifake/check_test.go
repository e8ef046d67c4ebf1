package apifake

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// recorder is the TB of a test that must fail, to see that violations fail it.
type recorder struct {
	t    *testing.T
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Helper()           {}
func (r *recorder) Cleanup(fn func()) { r.t.Cleanup(fn) }

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func TestStrictDecodingAndAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, body, ctype, auth string
		status                                int
		violation                             string // "" for none
	}{
		{"good create", "POST", "/things", `{"name":"a"}`, "application/json", "Bearer tok", 201, ""},
		{"unknown field", "POST", "/things", `{"name":"a","nmae":"b"}`, "application/json", "Bearer tok", 422, `unknown field "nmae"`},
		{"two values", "POST", "/things", `{"name":"a"}{}`, "application/json", "Bearer tok", 422, "data after the JSON value"},
		{"not JSON", "POST", "/things", `name=a`, "application/json", "Bearer tok", 422, "invalid character"},
		{"wrong content type", "POST", "/things", `{"name":"a"}`, "text/plain", "Bearer tok", 201, `Content-Type "text/plain"`},
		{"bad auth", "GET", "/things/1", "", "", "Bearer other", 401, "bad or missing Authorization"},
		{"no auth", "GET", "/things/1", "", "", "", 401, "bad or missing Authorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{t: t}
			f := &things{}
			mux := http.NewServeMux()
			mux.HandleFunc("POST /things", func(w http.ResponseWriter, r *http.Request) {
				var b struct {
					Name string `json:"name"`
				}
				if f.api.DecodeJSON(r, &b) != nil {
					WriteJSON(w, 422, nil)
					return
				}
				WriteJSON(w, 201, b)
			})
			mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {
				if !f.api.CheckAuth(r, "Bearer tok", "token tok") {
					WriteJSON(w, 401, nil)
				}
			})
			f.api = New(rec, mux, WithName("thingfake"))
			req, err := http.NewRequestWithContext(t.Context(), tt.method, f.api.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			got := f.api.Violations()
			rec.mu.Lock()
			failed := rec.msgs
			rec.mu.Unlock()
			if tt.violation == "" {
				if len(got) != 0 || len(failed) != 0 {
					t.Errorf("violations %v (test failed with %v), want none", got, failed)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tt.violation) || !strings.HasPrefix(got[0], "thingfake: ") {
				t.Errorf("violations = %v, want one \"thingfake: ...%s...\"", got, tt.violation)
			}
			if len(failed) != 1 || failed[0] != got[0] {
				t.Errorf("the test failed with %v, want %v", failed, got)
			}
		})
	}
}

func TestCollectViolations(t *testing.T) {
	t.Parallel()
	rec := &recorder{t: t}
	s := New(rec, http.NotFoundHandler(), CollectViolations())
	s.Violationf("bad %s", "thing")
	if got := s.Violations(); len(got) != 1 || got[0] != "apifake: bad thing" {
		t.Errorf("Violations = %v, want [apifake: bad thing]", got)
	}
	if len(rec.msgs) != 0 {
		t.Errorf("the test failed with %v, want it not failed", rec.msgs)
	}
}
