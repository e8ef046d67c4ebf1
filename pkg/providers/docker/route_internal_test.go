package docker

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

func TestParsePublicURL(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"https://{env}.preview.example.com":       "https://pr-1.preview.example.com",
		"http://{env}.preview.test:8081":          "http://pr-1.preview.test:8081",
		"https://preview-{env}.example.com/":      "https://preview-pr-1.example.com",
		"https://{env}.apps.internal.example.com": "https://pr-1.apps.internal.example.com",
	}
	for tmpl, want := range good {
		u, err := parsePublicURL(tmpl)
		if err != nil {
			t.Errorf("parsePublicURL(%q): %v", tmpl, err)
			continue
		}
		if got := u.urlFor("pr-1"); got != want {
			t.Errorf("parsePublicURL(%q).urlFor(pr-1) = %q, want %q", tmpl, got, want)
		}
	}
	bad := map[string]string{
		"no placeholder":    "https://preview.example.com",
		"twice":             "https://{env}.{env}.example.com",
		"in the path":       "https://example.com/{env}",
		"ftp":               "ftp://{env}.example.com",
		"query":             "https://{env}.example.com?x=1",
		"user":              "https://u@{env}.example.com",
		"port out of range": "https://{env}.example.com:70000",
		"no scheme":         "{env}.example.com",
	}
	for name, tmpl := range bad {
		_, err := parsePublicURL(tmpl)
		if !errors.Is(err, providers.ErrInvalidSpec) {
			t.Errorf("%s: parsePublicURL = %v, want ErrInvalidSpec", name, err)
			continue
		}
		if !strings.Contains(err.Error(), "public_url") {
			t.Errorf("%s: error %q does not name the setting", name, err)
		}
	}
}

func TestRouteLabels(t *testing.T) {
	t.Parallel()
	u, err := parsePublicURL("https://{env}.preview.example.com")
	if err != nil {
		t.Fatal(err)
	}
	got := u.routeLabels("pr-7", 8080)
	want := map[string]string{
		LabelPublicURL:                          "https://pr-7.preview.example.com",
		LabelProxyPort:                          "8080",
		"caddy":                                 "pr-7.preview.example.com",
		"caddy.reverse_proxy":                   "{{upstreams 8080}}",
		"traefik.enable":                        "true",
		"traefik.http.routers.sindri-pr-7.rule": "Host(`pr-7.preview.example.com`)",
		"traefik.http.routers.sindri-pr-7.tls":  "true",
		"traefik.http.services.sindri-pr-7.loadbalancer.server.port": "8080",
	}
	if len(got) != len(want) {
		t.Errorf("routeLabels = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("label %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestApplyPublicRoute(t *testing.T) {
	t.Parallel()
	u, _ := parsePublicURL("https://{env}.preview.example.com")
	d := &desired{Env: "pr-1", NetworkMode: "bridge", Labels: map[string]string{},
		Ports: []portMapping{{HostIP: "127.0.0.1", HostPort: 5353, ContainerPort: 53, Proto: "udp"},
			{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Proto: "tcp"}}}
	if err := u.applyPublicRoute(d); err != nil {
		t.Fatal(err)
	}
	for _, pm := range d.Ports {
		if pm.HostPort != 0 {
			t.Errorf("port %+v keeps its host port, want one the engine picks", pm)
		}
	}
	if d.Labels[LabelProxyPort] != "80" {
		t.Errorf("proxy port = %q, want the first TCP port 80", d.Labels[LabelProxyPort])
	}
	if len(d.warnings) != 2 {
		t.Errorf("warnings = %q, want one per fixed host port", d.warnings)
	}
	for name, d := range map[string]*desired{
		"no tcp port": {Env: "pr-1", NetworkMode: "bridge", Labels: map[string]string{},
			Ports: []portMapping{{HostIP: "127.0.0.1", ContainerPort: 53, Proto: "udp"}}},
		"host network": {Env: "pr-1", NetworkMode: "host", Labels: map[string]string{}},
	} {
		if err := u.applyPublicRoute(d); !errors.Is(err, providers.ErrInvalidSpec) {
			t.Errorf("%s: applyPublicRoute = %v, want ErrInvalidSpec", name, err)
		}
	}
}

// caddyAdminFake is a strict stand-in for Caddy's admin API config tree: POST /config/PATH
// sets the last key of PATH only when its parent object exists, as Caddy does.
type caddyAdminFake struct {
	mu   sync.Mutex
	tree map[string]any
}

func (f *caddyAdminFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/config/") || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, `{"error":"unexpected request"}`, http.StatusBadRequest)
		return
	}
	keys := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/config/"), "/"), "/")
	var v any
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &v); err != nil {
		http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
		return
	}
	node := f.tree
	for _, k := range keys[:len(keys)-1] {
		next, ok := node[k].(map[string]any)
		if !ok {
			http.Error(w, `{"error":"invalid traversal path at: config/`+k+`"}`, http.StatusBadRequest)
			return
		}
		node = next
	}
	node[keys[len(keys)-1]] = v
}

func TestCaddyLoadCreatesMissingLevelsOnly(t *testing.T) {
	t.Parallel()
	u, _ := parsePublicURL("http://{env}.preview.test:8081")
	routes := []caddyRoute{{env: "pr-1", host: "pr-1.preview.test", upstream: "127.0.0.1:40001"}}
	for name, tree := range map[string]map[string]any{
		"empty config":       {"admin": map[string]any{}},
		"other apps":         {"apps": map[string]any{"tls": map[string]any{"keep": true}}},
		"other http servers": {"apps": map[string]any{"http": map[string]any{"http_port": 8080.0, "servers": map[string]any{"mine": map[string]any{}}}}},
	} {
		before := mustJSON(t, tree)
		fake := &caddyAdminFake{tree: tree}
		srv := httptest.NewServer(fake)
		cs, err := newCaddySync(srv.URL, "", u)
		if err != nil {
			t.Fatal(err)
		}
		if err := cs.load(t.Context(), routes); err != nil {
			t.Fatalf("%s: load: %v", name, err)
		}
		srv.Close()
		got, _ := json.Marshal(fake.tree)
		for _, want := range []string{`"sindri_previews":{`, `"listen":[":8081"]`, `"dial":"127.0.0.1:40001"`, `"host":["pr-1.preview.test"]`, `"automatic_https":{"disable":true}`} {
			if !strings.Contains(string(got), want) {
				t.Errorf("%s: config %s lacks %s", name, got, want)
			}
		}
		for _, kept := range []string{`"keep":true`, `"http_port":8080`, `"mine":{}`} {
			if strings.Contains(before, kept) && !strings.Contains(string(got), kept) {
				t.Errorf("%s: config %s lost %s", name, got, kept)
			}
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNewCaddySyncRefuses(t *testing.T) {
	t.Parallel()
	u, _ := parsePublicURL("https://{env}.example.com")
	for name, c := range map[string]struct {
		admin, listen string
		pub           *publicURL
	}{
		"no public url": {"http://127.0.0.1:2019", "", nil},
		"not http":      {"unix:///run/caddy.sock", "", u},
		"bad listen":    {"http://127.0.0.1:2019", "443", u},
		"path in admin": {"http://127.0.0.1:2019/config", "", u},
	} {
		if _, err := newCaddySync(c.admin, c.listen, c.pub); !errors.Is(err, providers.ErrInvalidSpec) {
			t.Errorf("%s: newCaddySync = %v, want ErrInvalidSpec", name, err)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 6_340_000: "6.3 MB", 2_500_000_000: "2.5 GB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// stepRecorder records Progress steps.
type stepRecorder struct{ steps []string }

func (r *stepRecorder) Log(string) {}
func (r *stepRecorder) Progress(step string, done, total int) {
	r.steps = append(r.steps, step)
}

// TestPullMeter: layer progress is summed into one byte count, reported at most once per
// pullReportEvery plus a final count; a pull that downloads nothing reports nothing.
func TestPullMeter(t *testing.T) {
	t.Parallel()
	var r stepRecorder
	m := newPullMeter("img:1", &r)
	m.downloading("a", 1_000_000, 4_000_000) // first: reported at once
	m.downloading("b", 500_000, 2_000_000)   // within pullReportEvery: summed, not reported
	m.downloaded("a")
	m.downloaded("b")
	m.done()
	want := []string{
		"resolve image: pulling img:1: 1.0 MB of 4.0 MB",
		"resolve image: pulling img:1: 6.0 MB of 6.0 MB",
	}
	if strings.Join(r.steps, "|") != strings.Join(want, "|") {
		t.Errorf("steps = %q, want %q", r.steps, want)
	}
	var none stepRecorder
	newPullMeter("img:1", &none).done()
	if len(none.steps) != 0 {
		t.Errorf("a pull without downloads reported %q", none.steps)
	}
}

// TestCaddyErrorsMaskAdminPassword: an admin address with credentials is named in errors (which
// the executor's housekeeping logs every pass) with its password masked, for an admin API that
// does not answer and for one that refuses.
func TestCaddyErrorsMaskAdminPassword(t *testing.T) {
	pub, err := parsePublicURL("https://{env}.preview.example.com")
	if err != nil {
		t.Fatal(err)
	}
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadRequest)
	}))
	defer refusing.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	for _, base := range []string{refusing.URL, down.URL} {
		admin := strings.Replace(base, "http://", "http://operator:s3cr3t-admin-pw@", 1)
		cs, err := newCaddySync(admin, "", pub)
		if err != nil {
			t.Fatal(err)
		}
		err = cs.load(t.Context(), nil)
		if err == nil {
			t.Fatalf("load through %s: no error", base)
		}
		if strings.Contains(err.Error(), "s3cr3t-admin-pw") {
			t.Errorf("error names the admin password: %v", err)
		}
		if !strings.Contains(err.Error(), "operator:xxxxx@") {
			t.Errorf("error %v does not name the admin address (masked)", err)
		}
	}
}
