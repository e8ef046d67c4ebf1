package runner

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/registry"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

const versionedConfig = `version: "3.0"
name: preview
deployment:
  provider: docker
  image_config:
    registry: ghcr.io/pacphi/sindri
    version: "%s"
extensions:
  profile: minimal
`

// fakeGHCR is a TLS distribution API for ghcr.io/pacphi/sindri: the tag list needs a bearer
// token, which its token service issues for basic auth token:<github token> only; the list
// comes in two pages linked with Link.
func fakeGHCR(t *testing.T, githubToken string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var listed atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			u, p, ok := r.BasicAuth()
			if !ok || u != "token" || p != githubToken || r.URL.Query().Get("scope") != "repository:pacphi/sindri:pull" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]string{"token": "registry-token"})
		case "/v2/pacphi/sindri/tags/list":
			if r.Header.Get("Authorization") != "Bearer registry-token" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="`+srv.URL+`/token",service="ghcr.io",scope="repository:pacphi/sindri:pull"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			if r.URL.Query().Get("n") != "1000" {
				t.Errorf("tag list without n=1000: %s", r.URL.RequestURI())
			}
			listed.Add(1)
			page := map[string]any{"name": "pacphi/sindri", "tags": []string{"latest", "v1.0.0", "v1.4.0"}}
			if r.URL.Query().Get("last") == "" {
				w.Header().Set("Link", `</v2/pacphi/sindri/tags/list?n=1000&last=v1.4.0>; rel="next"`)
			} else {
				page["tags"] = []string{"v1.5.0-rc.1", "v2.0.0"}
			}
			_ = json.NewEncoder(w).Encode(page)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &listed
}

// runResolving is h.run with a ResolveImage dependency that reaches srv as ghcr.io.
func (h *harness) runResolving(srv *httptest.Server, githubToken string, it action.Intent) int {
	h.t.Helper()
	client := &registry.Client{
		HTTP:        srv.Client(),
		Endpoints:   map[string]string{"ghcr.io": srv.URL},
		Credentials: map[string]registry.Credential{"ghcr.io": {Username: "token", Password: githubToken}},
	}
	req := Request{
		Intent:    it,
		Inputs:    action.Inputs{Config: "sindri.yaml", Provider: providertest.FakeName, Wait: true, Timeout: time.Minute},
		Workspace: h.dir,
		LookupEnv: func(string) (string, bool) { return "", false },
		Delivery:  "run/image",
	}
	deps := Deps{
		Out:      &ConsoleOutput{W: &h.out},
		Registry: h.reg,
		OpenBus: func(context.Context, []secrets.Resolved) (*Bus, error) {
			return &Bus{JS: h.bus.JS, Envs: h.bus.Envs, Embedded: true}, nil
		},
		ResolveImage: config.ImageResolver{Lister: client}.ResolveImageRef,
	}
	return Run(context.Background(), req, deps)
}

func TestRunDeployResolvesImageVersion(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	writeConfig(t, h, strings.Replace(versionedConfig, "%s", "^1.0.0", 1))
	srv, listed := fakeGHCR(t, "ghs_test")
	if code := h.runResolving(srv, "ghs_test", prIntent(action.KindDeploy, "pull_request.opened")); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	st, ok, err := h.fake.Env("preview-pr-7")
	if err != nil || !ok {
		t.Fatalf("env after deploy: ok=%v err=%v\n%s", ok, err, h.out.String())
	}
	if want := "ghcr.io/pacphi/sindri:v1.4.0"; st.Image != want {
		t.Errorf("provider ran %q, want %q (highest ^1.0.0 tag, as tagged)", st.Image, want)
	}
	if got := listed.Load(); got != 2 {
		t.Errorf("authorized tag list requests = %d, want 2 (two pages, resolved once)", got)
	}
	if !strings.Contains(h.out.String(), `resolved to ghcr.io/pacphi/sindri:v1.4.0`) {
		t.Errorf("output does not say which image was resolved:\n%s", h.out.String())
	}
	// The PR closes: the destroy of a versioned config needs no image and no registry.
	if code := h.run(prIntent(action.KindDestroy, "pull_request.closed")); code != ExitOK {
		t.Fatalf("destroy exit %d\n%s", code, h.out.String())
	}
	if _, ok, _ := h.fake.Env("preview-pr-7"); ok {
		t.Errorf("the environment of a versioned config survived its destroy\n%s", h.out.String())
	}
	if got := listed.Load(); got != 2 {
		t.Errorf("tag list requests after the destroy = %d, want still 2", got)
	}
}

func TestRunDeployImageResolutionFailurePublishesNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, version, token string
		want                 []string
	}{
		{name: "no matching tag", version: "^9", token: "ghs_test",
			want: []string{`"^9"`, "ghcr.io/pacphi/sindri", "v2.0.0, v1.5.0-rc.1, v1.4.0", "nothing was published"}},
		{name: "credentials refused", version: "^1", token: "ghs_wrong",
			want: []string{"registry ghcr.io/pacphi/sindri", "HTTP 401", "nothing was published"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			writeConfig(t, h, strings.Replace(versionedConfig, "%s", tc.version, 1))
			srv, _ := fakeGHCR(t, "ghs_test")
			if code := h.runResolving(srv, tc.token, prIntent(action.KindDeploy, "pull_request.opened")); code != ExitFailed {
				t.Fatalf("deploy exit %d, want %d\n%s", code, ExitFailed, h.out.String())
			}
			out := h.out.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "ghs_wrong") {
				t.Error("the output shows the token")
			}
			if n := strings.Count("\n"+out, "\nerror: "); n != 1 {
				t.Errorf("%d errors, want one:\n%s", n, out)
			}
			if h.fake.Count("preview-pr-7") != 0 {
				t.Error("the provider was called")
			}
			if _, _, err := h.bus.Envs.Get(context.Background(), "preview-pr-7"); !errors.Is(err, events.ErrEnvNotFound) {
				t.Errorf("env record after a failed resolution: err = %v, want none (generation not bumped)", err)
			}
		})
	}
}

func writeConfig(t *testing.T, h *harness, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, "sindri.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
