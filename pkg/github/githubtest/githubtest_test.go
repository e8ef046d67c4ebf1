package githubtest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// recorder captures the fake's shape violations instead of failing the test.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// do sends a request; header holds extra header names and values, in pairs.
func do(t *testing.T, s *Server, method, path, auth, body string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+strings.TrimPrefix(path, "/"), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestFakeValidatesShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, auth, body string
		status                         int
		violation                      string
	}{
		{"no auth", "GET", "/repos/o/r/pulls/1", "", "", 401, "Authorization"},
		{"comment without body", "POST", "/repos/o/r/issues/1/comments", "Bearer tok", `{}`, 422, "body is required"},
		{"unknown field", "POST", "/repos/o/r/issues/1/comments", "Bearer tok", `{"body":"x","bodyy":"y"}`, 422, "unknown field"},
		{"bad reaction", "POST", "/repos/o/r/issues/comments/1/reactions", "Bearer tok", `{"content":"thumbsup"}`, 422, "content must be one of"},
		{"deployment without ref", "POST", "/repos/o/r/deployments", "Bearer tok", `{"environment":"e"}`, 422, "ref is required"},
		{"bad status state", "POST", "/repos/o/r/deployments/1/statuses", "Bearer tok", `{"state":"done"}`, 422, "state must be one of"},
		{"bad per_page", "GET", "/repos/o/r/issues/1/comments?per_page=500", "Bearer tok", "", 422, "per_page"},
		{"unknown route", "GET", "/repos/o/r/issues", "Bearer tok", "", 404, "unexpected request"},
		{"other repo", "GET", "/repos/o/other/pulls/1", "Bearer tok", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{TB: t}
			s := New(rec, "o", "r", "tok")
			resp := do(t, s, tt.method, tt.path, tt.auth, tt.body)
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			v := rec.got()
			if tt.violation == "" {
				if len(v) != 0 {
					t.Errorf("violations %v, want none", v)
				}
				return
			}
			if len(v) != 1 || !strings.Contains(v[0], tt.violation) {
				t.Errorf("violations = %v, want one containing %q", v, tt.violation)
			}
		})
	}
}

func TestFakePaginationAndFaults(t *testing.T) {
	t.Parallel()
	s := New(t, "o", "r", "tok")
	s.PerPage = 2
	for i := range 5 {
		s.AddComment(3, "u", fmt.Sprint(i))
	}
	resp := do(t, s, "GET", "/repos/o/r/issues/3/comments?page=2", "token tok", "")
	link := resp.Header.Get("Link")
	for _, want := range []string{`page=3&per_page=2>; rel="next"`, `rel="last"`, `rel="prev"`, `rel="first"`} {
		if !strings.Contains(link, want) {
			t.Errorf("Link %q lacks %s", link, want)
		}
	}
	s.Inject(RouteGetPull, Fault{Status: 429, RetryAfter: "3"}, Fault{Status: 403, Secondary: true})
	r1 := do(t, s, "GET", "/repos/o/r/pulls/1", "token tok", "")
	r2 := do(t, s, "GET", "/repos/o/r/pulls/1", "token tok", "")
	r3 := do(t, s, "GET", "/repos/o/r/pulls/1", "token tok", "")
	if r1.StatusCode != 429 || r1.Header.Get("Retry-After") != "3" || r2.StatusCode != 403 || r3.StatusCode != 404 {
		t.Errorf("fault sequence = %d (%q), %d, %d; want 429 (3), 403, 404", r1.StatusCode, r1.Header.Get("Retry-After"), r2.StatusCode, r3.StatusCode)
	}
	if got := s.Count(RouteGetPull); got != 3 {
		t.Errorf("Count = %d, want 3", got)
	}
}

func get(t *testing.T, s *Server, path, token, ifNoneMatch string) (*http.Response, string) {
	t.Helper()
	var h []string
	if ifNoneMatch != "" {
		h = []string{"If-None-Match", ifNoneMatch}
	}
	resp := do(t, s, http.MethodGet, path, "Bearer "+token, "", h...)
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestFakeConditionalRequests(t *testing.T) {
	t.Parallel()
	s := New(t, "o", "r", "tok")
	s.AddToken("tok2")
	id := s.AddComment(3, "", "first")
	const path = "/repos/o/r/issues/3/comments"

	r1, body := get(t, s, path, "tok", "")
	etag := r1.Header.Get("ETag")
	if r1.StatusCode != 200 || !strings.HasPrefix(etag, `W/"`) || !strings.HasSuffix(etag, `"`) || !strings.Contains(body, "first") {
		t.Fatalf("first GET: %d ETag %q body %q, want 200 with a weak ETag and the comment", r1.StatusCode, etag, body)
	}
	for _, inm := range []string{etag, strings.TrimPrefix(etag, "W/"), `"other", ` + etag, "*"} {
		r, body := get(t, s, path, "tok", inm)
		if r.StatusCode != http.StatusNotModified || body != "" || r.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match %s: %d ETag %q body %q, want 304 with the same ETag and no body", inm, r.StatusCode, r.Header.Get("ETag"), body)
		}
	}
	if r, _ := get(t, s, path, "tok2", etag); r.StatusCode != 200 || r.Header.Get("ETag") == etag {
		t.Errorf("another token with the first token's ETag: %d ETag %q, want 200 and another ETag (ETags are per token)", r.StatusCode, r.Header.Get("ETag"))
	}
	s.DeleteComment(id)
	s.AddComment(3, "", "second")
	if r, body := get(t, s, path, "tok", etag); r.StatusCode != 200 || r.Header.Get("ETag") == etag || !strings.Contains(body, "second") {
		t.Errorf("after a change: %d ETag %q, want 200 with a new ETag", r.StatusCode, r.Header.Get("ETag"))
	}
	s.AddPull(PullRequest{Number: 3, HeadSHA: "a"})
	rp, _ := get(t, s, "/repos/o/r/pulls/3", "tok", "")
	s.AddComment(3, "u", "a new comment changes the pull request")
	if r, _ := get(t, s, "/repos/o/r/pulls/3", "tok", rp.Header.Get("ETag")); r.StatusCode != 200 {
		t.Errorf("pull request after a new comment: %d, want 200 (its comment count changed)", r.StatusCode)
	}
	if got, want := s.NotModified(), 4; got != want {
		t.Errorf("NotModified = %d, want %d", got, want)
	}
	if got, want := s.Counted(), s.Total()-4; got != want || s.NotModifiedCounts()[RouteListComments] != 4 {
		t.Errorf("Counted = %d, want %d; 304s per route %v", got, want, s.NotModifiedCounts())
	}
	s.ResetCounts()
	if s.NotModified() != 0 || s.Counted() != 0 {
		t.Errorf("after ResetCounts: %d 304s, %d counted; want 0 and 0", s.NotModified(), s.Counted())
	}
}
