package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// checked is a fake provider with a readiness check.
type checked struct {
	*providertest.Fake
	check func(ctx context.Context) providers.Readiness
}

func (c checked) Check(ctx context.Context) providers.Readiness { return c.check(ctx) }

func checkedFake(name string, check func(ctx context.Context) providers.Readiness) providers.Provider {
	return checked{providertest.NewFake(providertest.WithName(name)), check}
}

func TestProviderReadinessCheckedAtStart(t *testing.T) {
	t.Parallel()
	reg := &providers.Registry{}
	for _, p := range []providers.Provider{
		checkedFake("good", func(context.Context) providers.Readiness { return providers.Readiness{Ready: true, Version: "1.2"} }),
		checkedFake("nokey", func(context.Context) providers.Readiness {
			return providers.Readiness{Problems: []string{"NOKEY_API_TOKEN is not set"}}
		}),
		checkedFake("slow", func(ctx context.Context) providers.Readiness {
			<-ctx.Done()
			time.Sleep(time.Second) // a check that ignores its context answers too late
			return providers.Readiness{Ready: true}
		}),
		checkedFake("panics", func(context.Context) providers.Readiness { panic("boom") }),
		providertest.NewFake(providertest.WithName("plain")),
	} {
		if err := reg.Register(p); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	got := checkProviders(context.Background(), reg, 200*time.Millisecond, zerolog.New(&logs))
	var lines []string
	for _, r := range got {
		lines = append(lines, r.String())
	}
	want := []string{
		"provider good: ready (version 1.2)",
		"provider nokey: not ready: NOKEY_API_TOKEN is not set",
		"provider panics: not ready: readiness check panicked",
		"provider plain: no readiness check",
		"provider slow: not ready: readiness check did not answer within 200ms",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("readiness =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, w := range []string{`"level":"warn","provider":"nokey","problems":["NOKEY_API_TOKEN is not set"]`, `"provider":"good","version":"1.2","message":"provider ready"`} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("logs lack %s:\n%s", w, logs.String())
		}
	}
}

// TestReadyzReportsProviderReadiness: /readyz keeps its status for the bus and adds one line
// per provider; a provider that is not ready does not make the executor unready.
func TestReadyzReportsProviderReadiness(t *testing.T) {
	t.Parallel()
	provs := []providerReadiness{
		{Name: "docker"},
		{Name: "fly", Checked: true, Readiness: providers.Readiness{Problems: []string{"FLY_API_TOKEN is not set"}}},
	}
	for _, tc := range []struct {
		name     string
		bus      error
		wantCode int
		wantBody string
	}{
		{"ready", nil, 200, "ready\nprovider docker: no readiness check\nprovider fly: not ready: FLY_API_TOKEN is not set\n"},
		{"bus down", errors.New("nats: not connected"), 503, "nats: not connected\nprovider docker: no readiness check\nprovider fly: not ready: FLY_API_TOKEN is not set\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(opsHandler(prometheus.NewRegistry(), func() error { return tc.bus }, provs))
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantCode || string(body) != tc.wantBody {
				t.Errorf("/readyz = %d %q, want %d %q", resp.StatusCode, body, tc.wantCode, tc.wantBody)
			}
		})
	}
}

// TestRunRefusesBadProviderSettings: a provider setting the provider cannot use stops the
// executor with a configuration error naming where it was set, before NATS is contacted.
func TestRunRefusesBadProviderSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		args  []string
		env   map[string]string
		wants []string
	}{
		{"from the file", []string{"-config", "testdata/provider_bad_value.hcl"}, nil, []string{"testdata/provider_bad_value.hcl:2:", "separate_network", `"maybe"`}},
		{"from the environment", nil, map[string]string{"SINDRI_DOCKER_HOST": "::bad"}, []string{"host from env SINDRI_DOCKER_HOST", "::bad"}},
		{"environment over the file", []string{"-config", "testdata/provider_bad_value.hcl"}, map[string]string{"SINDRI_DOCKER_SEPARATE_NETWORK": "off"}, []string{"env SINDRI_DOCKER_SEPARATE_NETWORK", `"off"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := run(context.Background(), tc.args, envMap(tc.env), io.Discard)
			if !errors.Is(err, errConfig) {
				t.Fatalf("run = %v, want a configuration error", err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
