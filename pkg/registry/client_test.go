package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeRegistry is a distribution API with a token service. It enforces the request shapes:
// GET only, n=1000 on the first page, a bearer token it issued for the right scope, and (when
// login is set) basic auth on the token service.
type fakeRegistry struct {
	t       *testing.T
	repo    string
	tags    []string
	perPage int
	login   *Credential // required on the token service when set
	// faults are answered, in order, before the tags endpoint serves normally.
	faults []fault
	// linkOrigin, when set, makes next links absolute on that origin.
	linkOrigin string

	mu       sync.Mutex
	issued   map[string]bool
	requests []string // method path?query (Authorization scheme)
	tagHits  int
	srv      *httptest.Server
}

type fault struct {
	status     int
	retryAfter string
}

func newFakeRegistry(t *testing.T, tls bool, repo string, tags ...string) *fakeRegistry {
	t.Helper()
	f := &fakeRegistry{t: t, repo: repo, tags: tags, perPage: 1000, issued: map[string]bool{}}
	if tls {
		f.srv = httptest.NewTLSServer(f)
	} else {
		f.srv = httptest.NewServer(f)
	}
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a Client that reaches the fake for apiHost, retrying fast.
func (f *fakeRegistry) client(apiHost string) *Client {
	return &Client{
		HTTP:      f.srv.Client(),
		Endpoints: map[string]string{apiHost: f.srv.URL},
		RetryBase: time.Millisecond,
	}
}

func (f *fakeRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	f.requests = append(f.requests, fmt.Sprintf("%s %s (%s)", r.Method, r.URL.RequestURI(), scheme))
	if r.Method != http.MethodGet {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/token":
		f.serveToken(w, r)
	case "/v2/" + f.repo + "/tags/list":
		f.serveTags(w, r)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}`))
	}
}

func (f *fakeRegistry) serveToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("service") != "fake-registry" || q.Get("scope") != "repository:"+f.repo+":pull" {
		f.t.Errorf("token request %s: want service=fake-registry scope=repository:%s:pull", r.URL.RequestURI(), f.repo)
		http.Error(w, "bad token request", http.StatusBadRequest)
		return
	}
	if f.login != nil {
		u, p, ok := r.BasicAuth()
		if !ok || u != f.login.Username || p != f.login.Password {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`))
			return
		}
	}
	tok := "tok-" + strconv.Itoa(len(f.issued)+1)
	f.issued[tok] = true
	_ = json.NewEncoder(w).Encode(map[string]string{"token": tok})
}

func (f *fakeRegistry) serveTags(w http.ResponseWriter, r *http.Request) {
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !f.issued[bearer] {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="fake-registry",scope="repository:%s:pull"`, f.srv.URL, f.repo))
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`))
		return
	}
	f.tagHits++
	if len(f.faults) > 0 {
		ft := f.faults[0]
		f.faults = f.faults[1:]
		if ft.retryAfter != "" {
			w.Header().Set("Retry-After", ft.retryAfter)
		}
		w.WriteHeader(ft.status)
		return
	}
	q := r.URL.Query()
	if q.Get("n") != "1000" {
		f.t.Errorf("tags request %s: want n=1000", r.URL.RequestURI())
	}
	start := 0
	if last := q.Get("last"); last != "" {
		start = slices.Index(f.tags, last) + 1
	}
	end := min(start+f.perPage, len(f.tags))
	if end < len(f.tags) {
		next := url.Values{"n": {"1000"}, "last": {f.tags[end-1]}}
		link := f.linkOrigin + "/v2/" + f.repo + "/tags/list?" + next.Encode()
		w.Header().Set("Link", "<"+link+`>; rel="next"`)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"name": f.repo, "tags": f.tags[start:end]})
}

func TestTagsAnonymousPaginated(t *testing.T) {
	t.Parallel()
	for _, tls := range []bool{false, true} {
		t.Run("tls="+strconv.FormatBool(tls), func(t *testing.T) {
			t.Parallel()
			want := []string{"v1.0.0", "v1.1.0", "latest", "v2.0.0-rc.1", "v2.0.0"}
			f := newFakeRegistry(t, tls, "pacphi/sindri", want...)
			f.perPage = 2
			got, err := f.client("ghcr.io").Tags(context.Background(), "ghcr.io/pacphi/sindri")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("tags = %v, want %v", got, want)
			}
			wantReq := []string{
				"GET /v2/pacphi/sindri/tags/list?n=1000 ()",
				"GET /token?scope=repository%3Apacphi%2Fsindri%3Apull&service=fake-registry ()",
				"GET /v2/pacphi/sindri/tags/list?n=1000 (Bearer)",
				"GET /v2/pacphi/sindri/tags/list?last=v1.1.0&n=1000 (Bearer)",
				"GET /v2/pacphi/sindri/tags/list?last=v2.0.0-rc.1&n=1000 (Bearer)",
			}
			if !slices.Equal(f.requests, wantReq) {
				t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(f.requests, "\n"), strings.Join(wantReq, "\n"))
			}
		})
	}
}

func TestTagsCredentials(t *testing.T) {
	t.Parallel()
	login := Credential{Username: "token", Password: "ghp_secret"}
	f := newFakeRegistry(t, true, "pacphi/private", "v3.0.0")
	f.login = &login
	c := f.client("ghcr.io")

	_, err := c.Tags(context.Background(), "ghcr.io/pacphi/private")
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || !strings.Contains(err.Error(), "ghcr.io/pacphi/private") {
		t.Fatalf("anonymous: err = %v, want a 401 *Error naming the repository", err)
	}

	c.Credentials = map[string]Credential{"ghcr.io": {Username: "token", Password: "wrong"}}
	_, err = c.Tags(context.Background(), "ghcr.io/pacphi/private")
	if err == nil || !strings.Contains(err.Error(), "credentials given for ghcr.io were refused") {
		t.Fatalf("wrong login: err = %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the error shows the password: %v", err)
	}

	c.Credentials = map[string]Credential{"ghcr.io": login}
	got, err := c.Tags(context.Background(), "ghcr.io/pacphi/private")
	if err != nil || !slices.Equal(got, []string{"v3.0.0"}) {
		t.Fatalf("tags = %v, %v", got, err)
	}
}

func TestTagsRetries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		faults      []fault
		maxAttempts int
		maxWait     time.Duration
		wantErr     string
		wantHits    int
	}{
		{name: "429 then 503 then ok", faults: []fault{{429, "0"}, {503, ""}}, wantHits: 3},
		{name: "502 with http-date Retry-After", faults: []fault{{502, time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat)}}, wantHits: 2},
		{name: "gives up", faults: []fault{{500, ""}, {500, ""}, {500, ""}}, maxAttempts: 2, wantErr: "HTTP 500", wantHits: 2},
		{name: "Retry-After too long", faults: []fault{{429, "3600"}}, maxWait: time.Second, wantErr: "asks to wait 1h0m0s", wantHits: 1},
		{name: "404 is final", faults: []fault{{404, ""}}, wantErr: "HTTP 404", wantHits: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeRegistry(t, false, "acme/img", "1.0.0")
			f.faults = tc.faults
			c := f.client("registry.example.com")
			c.MaxAttempts, c.MaxRetryWait = tc.maxAttempts, tc.maxWait
			got, err := c.Tags(context.Background(), "registry.example.com/acme/img")
			if tc.wantErr == "" {
				if err != nil || !slices.Equal(got, []string{"1.0.0"}) {
					t.Fatalf("tags = %v, %v", got, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "registry.example.com/acme/img") {
				t.Fatalf("err = %v, want one naming the repository with %q", err, tc.wantErr)
			}
			if f.tagHits != tc.wantHits {
				t.Errorf("authorized tag requests = %d, want %d", f.tagHits, tc.wantHits)
			}
		})
	}
}

func TestTagsRefusals(t *testing.T) {
	t.Parallel()
	t.Run("next page on another origin", func(t *testing.T) {
		t.Parallel()
		f := newFakeRegistry(t, false, "acme/img", "1", "2")
		f.perPage, f.linkOrigin = 1, "http://elsewhere.example"
		_, err := f.client("r.example").Tags(context.Background(), "r.example/acme/img")
		if err == nil || !strings.Contains(err.Error(), "another origin") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("oversized page", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"tags":["` + strings.Repeat("a", maxPageBytes) + `"]}`))
		}))
		t.Cleanup(srv.Close)
		c := &Client{Endpoints: map[string]string{"r.example": srv.URL}}
		_, err := c.Tags(context.Background(), "r.example/acme/img")
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("cancelled while backing off", func(t *testing.T) {
		t.Parallel()
		f := newFakeRegistry(t, false, "acme/img", "1.0.0")
		f.faults = []fault{{503, "5"}}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := f.client("r.example").Tags(ctx, "r.example/acme/img")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the context's", err)
		}
	})
}

func TestParseRepository(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in                  string
		host, apiHost, name string
		wantErr             bool
	}{
		{in: "ghcr.io/pacphi/sindri", host: "ghcr.io", apiHost: "ghcr.io", name: "pacphi/sindri"},
		{in: "docker.io/library/ubuntu", host: "docker.io", apiHost: "registry-1.docker.io", name: "library/ubuntu"},
		{in: "docker.io/ubuntu", host: "docker.io", apiHost: "registry-1.docker.io", name: "library/ubuntu"},
		{in: "index.docker.io/acme/app", host: "docker.io", apiHost: "registry-1.docker.io", name: "acme/app"},
		{in: "pacphi/sindri", host: "docker.io", apiHost: "registry-1.docker.io", name: "pacphi/sindri"},
		{in: "ubuntu", host: "docker.io", apiHost: "registry-1.docker.io", name: "library/ubuntu"},
		{in: "localhost:5000/team/app", host: "localhost:5000", apiHost: "localhost:5000", name: "team/app"},
		{in: "registry.example.com/a/b/c", host: "registry.example.com", apiHost: "registry.example.com", name: "a/b/c"},
		{in: "ghcr.io/pacphi/sindri:v3", wantErr: true},
		{in: "ghcr.io/pacphi/sindri@sha256:abc", wantErr: true},
		{in: "ghcr.io/Pacphi/sindri", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range cases {
		got, err := ParseRepository(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("ParseRepository(%q) = %+v, want an error", tc.in, got)
			}
			continue
		}
		want := Repository{Host: tc.host, APIHost: tc.apiHost, Name: tc.name}
		if err != nil || got != want {
			t.Errorf("ParseRepository(%q) = %+v, %v; want %+v", tc.in, got, err, want)
		}
	}
}

func TestParseChallenge(t *testing.T) {
	t.Parallel()
	scheme, p := parseChallenge(`Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull,push"`)
	want := map[string]string{"realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/ubuntu:pull,push"}
	if scheme != "Bearer" || fmt.Sprint(p) != fmt.Sprint(want) {
		t.Errorf("got %q %v, want Bearer %v", scheme, p, want)
	}
	if scheme, p := parseChallenge(`Basic realm=registry`); scheme != "Basic" || p["realm"] != "registry" {
		t.Errorf("basic: got %q %v", scheme, p)
	}
}

// A challenge whose realm is not the registry's own token service gets no credential: a
// misconfigured or hostile registry naming another host, or a plain-HTTP realm for a TLS
// registry, must not receive the workflow's token. The token request still goes out
// anonymously (public images keep working).
func TestCredentialsOnlyToTheRegistrysRealm(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		realm     func(api, other string) string
		wantCreds bool
	}{
		{"same host, TLS", func(api, _ string) string { return api + "/token" }, true},
		{"another host", func(_, other string) string { return other + "/token" }, false},
		{"plain http on the registry's host", func(api, _ string) string { return strings.Replace(api, "https://", "http://", 1) + "/token" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var sawAuth atomic.Value
			sawAuth.Store("")
			other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sawAuth.Store(r.Header.Get("Authorization"))
				_, _ = w.Write([]byte(`{"token":"anon"}`))
			}))
			t.Cleanup(other.Close)
			var api *httptest.Server
			api = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/token":
					sawAuth.Store(r.Header.Get("Authorization"))
					_, _ = w.Write([]byte(`{"token":"anon"}`))
				case r.Header.Get("Authorization") == "Bearer anon":
					_, _ = w.Write([]byte(`{"name":"acme/img","tags":["1.0.0"]}`))
				default:
					w.Header().Set("WWW-Authenticate", `Bearer realm="`+tc.realm(api.URL, other.URL)+`",service="r"`)
					w.WriteHeader(http.StatusUnauthorized)
				}
			}))
			t.Cleanup(api.Close)
			u, _ := url.Parse(api.URL)
			pool := x509.NewCertPool()
			pool.AddCert(api.Certificate())
			pool.AddCert(other.Certificate())
			c := &Client{
				HTTP:        &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second},
				Endpoints:   map[string]string{u.Hostname(): api.URL},
				Credentials: map[string]Credential{u.Hostname(): {Username: "token", Password: "ghs_secret"}},
				MaxAttempts: 1,
			}
			_, _ = c.Tags(context.Background(), u.Hostname()+"/acme/img")
			got := sawAuth.Load().(string)
			if tc.wantCreds != (got != "") {
				t.Errorf("token request Authorization = %q, want credentials sent: %v", got, tc.wantCreds)
			}
		})
	}
}

// A registry on this machine (localhost, 127.0.0.1, [::1]) is reached over plain HTTP, as the
// Docker engine reaches it; every other host over HTTPS.
func TestLocalRegistryOverHTTP(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/acme/img/tags/list" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"name":"acme/img","tags":["1.0.0","1.2.0"]}`))
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	tags, err := (&Client{MaxAttempts: 1}).Tags(context.Background(), host+"/acme/img")
	if err != nil || !slices.Equal(tags, []string{"1.0.0", "1.2.0"}) {
		t.Fatalf("Tags from %s = %v, %v", host, tags, err)
	}
	for host, want := range map[string]bool{"localhost:5000": true, "127.0.0.1": true, "[::1]:5000": true, "ghcr.io": false, "10.0.0.1:5000": false} {
		if got := loopbackHost(host); got != want {
			t.Errorf("loopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
