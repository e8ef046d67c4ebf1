package apifake

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// things is the smallest stateful fake: POST /things makes a thing, GET /things/{id} reads it.
type things struct {
	api *Server
	lag *Lag

	mu   sync.Mutex
	made int
}

func newThings(t *testing.T, lag *Lag, opts ...Option) *things {
	t.Helper()
	f := &things{lag: lag}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /things", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Name string `json:"name"`
			Size any    `json:"size"`
		}
		if f.api.DecodeJSON(r, &b) != nil {
			WriteJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "bad body"})
			return
		}
		f.mu.Lock()
		f.made++
		id := strconv.Itoa(f.made)
		f.mu.Unlock()
		f.lag.Created(id)
		WriteJSON(w, http.StatusCreated, map[string]string{"id": id, "name": b.Name})
	})
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !f.api.CheckAuth(r, "Bearer tok") {
			WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		id := r.PathValue("id")
		f.mu.Lock()
		n := f.made
		f.mu.Unlock()
		if k, err := strconv.Atoi(id); err != nil || k > n || !f.lag.Visible(id) {
			WriteJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
			return
		}
		WriteJSON(w, http.StatusOK, map[string]string{"id": id})
	})
	f.api = New(t, mux, opts...)
	return f
}

func (f *things) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.made
}

// reply is what a real http.Client saw.
type reply struct {
	status int
	header http.Header
	body   string
	err    error
}

// call sends method path (with a JSON body when body is not empty) with c, http.DefaultClient
// when nil.
func (f *things) call(t *testing.T, c *http.Client, method, path, body string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.api.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer tok")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: strings.TrimSpace(string(b)), err: err}
}

func (f *things) create(t *testing.T) reply {
	t.Helper()
	return f.call(t, nil, "POST", "/things", `{"name":"a"}`)
}
