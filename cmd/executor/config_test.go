package main

import (
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers/builtin"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	got, err := loadConfig(nil, envMap(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := defaultConfig()
	if got.NATSURL != want.NATSURL || got.Concurrency != want.Concurrency || got.DrainTimeout != want.DrainTimeout || got.LeaseTTL != want.LeaseTTL {
		t.Errorf("loadConfig() = %+v, want defaults %+v", got, want)
	}
}

func TestLoadConfigFullFile(t *testing.T) {
	t.Parallel()
	got, err := loadConfig([]string{"-config", filepath.Join("testdata", "full.hcl")}, envMap(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"nats url", got.NATSURL, "nats://a:4222,nats://b:4222"},
		{"creds", got.NATSCreds, "/etc/sindri/executor.creds"},
		{"tls ca", got.TLSCA, "/etc/sindri/ca.pem"},
		{"concurrency", got.Concurrency, 8},
		{"providers", strings.Join(got.Providers, ","), "docker,fly"},
		{"allowed repos", strings.Join(got.AllowedRepos, ","), "sindri/*,acme/app"},
		{"trusted signers", strings.Join(got.TrustedSigners, ","), "UAXMFNHEYRPX4OLEKA2RVXXFQB32V5A3WN5PHVVMVAZ6W2JDEU3CHUGI"},
		{"signing key file", got.SigningKeyFile, "testdata/signing.nk"},
		{"signing key loaded", got.SigningKey != nil, true},
		{"reaper interval", got.ReaperInterval, 15 * time.Minute},
		{"reaper ttl", got.ReaperDefaultTTL, 48 * time.Hour},
		{"metrics", got.MetricsListen, "127.0.0.1:9191"},
		{"drain", got.DrainTimeout, 45 * time.Second},
		{"lease", got.LeaseTTL, 20 * time.Second},
		{"max deliver", got.MaxDeliver, 5},
		{"log level", got.LogLevel, "debug"},
		{"events max age", got.EventsMaxAge, 336 * time.Hour},
		{"events max bytes", got.EventsMaxBytes, int64(2 << 30)},
		{"jobs duplicate window", got.JobsDuplicateWindow, 30 * time.Minute},
		{"provider block", got.ProviderBlocks["docker"].Source, "testdata/full.hcl:26:19"},
		{"provider setting", got.ProviderBlocks["docker"].Values["host"], builtin.Value{Text: "tcp://docker.internal:2376", Source: "testdata/full.hcl:27:22"}},
		{"provider bool setting", got.ProviderBlocks["docker"].Values["tls_verify"].Text, "true"},
		{"provider settings", len(got.ProviderBlocks["docker"].Values), 4},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestLoadConfigPrecedence walks default < file < env < flag for one key of each type.
func TestLoadConfigPrecedence(t *testing.T) {
	t.Parallel()
	file := filepath.Join("testdata", "full.hcl") // concurrency 8, drain 45s, providers docker,fly
	cases := []struct {
		name       string
		args       []string
		env        map[string]string
		wantConc   int
		wantDrain  time.Duration
		wantProvs  []string
		wantConfig string
	}{
		{"default", nil, nil, 4, 30 * time.Second, nil, ""},
		{"file over default", []string{"-config", file}, nil, 8, 45 * time.Second, []string{"docker", "fly"}, file},
		{"file from env var", nil, map[string]string{"SINDRI_EXECUTOR_CONFIG": file}, 8, 45 * time.Second, []string{"docker", "fly"}, file},
		{"env over file", []string{"-config", file}, map[string]string{"SINDRI_CONCURRENCY": "3", "SINDRI_DRAIN_TIMEOUT": "5s", "SINDRI_PROVIDERS": "fake"}, 3, 5 * time.Second, []string{"fake"}, file},
		{"empty env is unset", []string{"-config", file}, map[string]string{"SINDRI_CONCURRENCY": ""}, 8, 45 * time.Second, []string{"docker", "fly"}, file},
		{"flag over env", []string{"-config", file, "-concurrency", "2", "-drain-timeout", "1s", "-providers", "a, b"}, map[string]string{"SINDRI_CONCURRENCY": "3", "SINDRI_DRAIN_TIMEOUT": "5s"}, 2, time.Second, []string{"a", "b"}, file},
		{"flag config over env config", []string{"-config", file}, map[string]string{"SINDRI_EXECUTOR_CONFIG": "testdata/missing.hcl"}, 8, 45 * time.Second, []string{"docker", "fly"}, file},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := loadConfig(tc.args, envMap(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got.Concurrency != tc.wantConc || got.DrainTimeout != tc.wantDrain || !slices.Equal(got.Providers, tc.wantProvs) || got.ConfigFile != tc.wantConfig {
				t.Errorf("got concurrency %d drain %s providers %q file %q; want %d %s %q %q",
					got.Concurrency, got.DrainTimeout, got.Providers, got.ConfigFile, tc.wantConc, tc.wantDrain, tc.wantProvs, tc.wantConfig)
			}
		})
	}
}

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		wants []string // substrings the error must contain (positions and key names)
	}{
		{"syntax", []string{"-config", "testdata/bad_syntax.hcl"}, nil, []string{"testdata/bad_syntax.hcl:2"}},
		{"bad duration has line and col", []string{"-config", "testdata/bad_duration.hcl"}, nil, []string{"testdata/bad_duration.hcl:3:17", "drain_timeout", `"soon"`}},
		{"unknown key", []string{"-config", "testdata/unknown_key.hcl"}, nil, []string{"testdata/unknown_key.hcl:1", "concurency"}},
		{"wrong type", []string{"-config", "testdata/bad_type.hcl"}, nil, []string{"testdata/bad_type.hcl:1"}},
		{"nested errors all reported", []string{"-config", "testdata/bad_nested.hcl"}, nil, []string{"testdata/bad_nested.hcl:8:17", "reaper.default_ttl"}},
		{"unknown provider block", []string{"-config", "testdata/provider_unknown.hcl"}, nil, []string{"testdata/provider_unknown.hcl:2:", `provider "dokcer" is not a built-in provider (built in: docker, e2b, fly, kubernetes, runpod)`}},
		{"unknown provider setting", []string{"-config", "testdata/provider_bad_setting.hcl"}, nil, []string{"testdata/provider_bad_setting.hcl:3:", `no setting "bind"`, "bind_address"}},
		{"provider block twice", []string{"-config", "testdata/provider_twice.hcl"}, nil, []string{"testdata/provider_twice.hcl:4:", "configured twice", "testdata/provider_twice.hcl:1:"}},
		{"provider setting of a wrong type", []string{"-config", "testdata/provider_bad_type.hcl"}, nil, []string{"testdata/provider_bad_type.hcl:2:", "host", "string, bool or number"}},
		{"cert without key", []string{"-nats-tls-cert", "c.pem"}, nil, []string{"cert and key"}},
		{"missing file", []string{"-config", "testdata/nope.hcl"}, nil, []string{"nope.hcl"}},
		{"bad env", nil, map[string]string{"SINDRI_CONCURRENCY": "many", "SINDRI_LOG_LEVEL": "loud"}, []string{"SINDRI_CONCURRENCY", "SINDRI_LOG_LEVEL", `"loud"`}},
		{"bad flag", []string{"-lease-ttl", "0s"}, nil, []string{"-lease-ttl"}},
		{"unknown flag", []string{"-frobnicate"}, nil, []string{"frobnicate"}},
		{"creds and nkey", nil, map[string]string{"SINDRI_NATS_CREDS": "a", "SINDRI_NATS_NKEY": "b"}, []string{"exclusive"}},
		{"zero concurrency", []string{"-concurrency", "0"}, nil, []string{"-concurrency", "minimum 1"}},
		{"short duplicate window", nil, map[string]string{"SINDRI_JOBS_DUPLICATE_WINDOW": "2m", "SINDRI_EVENTS_MAX_BYTES": "lots"}, []string{"SINDRI_JOBS_DUPLICATE_WINDOW", "below the minimum 10m0s", "SINDRI_EVENTS_MAX_BYTES", `"lots"`}},
		{"events kept too briefly", nil, map[string]string{"SINDRI_EVENTS_MAX_AGE": "1h", "SINDRI_EVENTS_MAX_BYTES": "1MB"}, []string{"SINDRI_EVENTS_MAX_AGE", "below the minimum 168h0m0s", "SINDRI_EVENTS_MAX_BYTES", "below the minimum 64MiB"}},
		{"reaper with trusted signers needs a signing key", nil, map[string]string{"SINDRI_TRUSTED_SIGNERS": "UAXMFNHEYRPX4OLEKA2RVXXFQB32V5A3WN5PHVVMVAZ6W2JDEU3CHUGI", "SINDRI_REAPER_INTERVAL": "1m"}, []string{"signing_key_file is not set", "keygen -signing"}},
		{"reaper's signing key not trusted", nil, map[string]string{"SINDRI_TRUSTED_SIGNERS": "UCVQEHZJK2NO5OQJHJOXMRFIFJB3YGTQEFSGXLUDXK5ZU4IHLM4TCM4A", "SINDRI_REAPER_INTERVAL": "1m", "SINDRI_SIGNING_KEY_FILE": "testdata/signing.nk"}, []string{"testdata/signing.nk", "UAXMFNHEYRPX4OLEKA2RVXXFQB32V5A3WN5PHVVMVAZ6W2JDEU3CHUGI", "not in trusted_signers"}},
		{"signing key file without a seed", nil, map[string]string{"SINDRI_SIGNING_KEY_FILE": "testdata/full.hcl"}, []string{"signing_key_file testdata/full.hcl", "not an nkey seed", "keygen -signing"}},
		{"trusted signer not a user key", nil, map[string]string{"SINDRI_TRUSTED_SIGNERS": "UAXMFNHEYRPX4OLEKA2RVXXFQB32V5A3WN5PHVVMVAZ6W2JDEU3CHUGI,XNOTAUSERKEY"}, []string{"SINDRI_TRUSTED_SIGNERS", "trusted signer 2", "not a public user nkey"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadConfig(tc.args, envMap(tc.env), io.Discard)
			if err == nil {
				t.Fatal("loadConfig succeeded, want an error")
			}
			if !errors.Is(err, errConfig) {
				t.Errorf("error %v does not wrap errConfig", err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
