package secrets

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
)

// fastRetry keeps retry tests quick; delays are not asserted.
var fastRetry = RetryPolicy{MaxRetries: 3, InitialDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}

func vaultResolver(t *testing.T, fv *fakeVault, mod func(*ResolverConfig)) *Resolver {
	t.Helper()
	cfg := ResolverConfig{ConfigDir: t.TempDir(), Retry: fastRetry, HTTPClient: fv.srv.Client(),
		Vault: VaultConfig{Addr: fv.srv.URL, Token: New(canaryToken), Namespace: fv.namespace}}
	if mod != nil {
		mod(&cfg)
	}
	return newResolver(t, cfg)
}

func TestVaultReadsKV2(t *testing.T) {
	t.Parallel()
	fv := newFakeVault(t, canaryToken, "team-a")
	fv.put("secret/dev/kubeconfig", map[string]any{"config": canary, "other": "o-value"})
	fv.put("kv/app", map[string]any{"pw": "custom-mount"})
	r := vaultResolver(t, fv, nil)
	res, err := r.Resolve(context.Background(), []config.Secret{
		{Name: "KUBECONFIG_DATA", Source: "vault", VaultPath: "dev/kubeconfig", VaultKey: "config", Required: true},
		{Name: "OTHER", Source: "vault", VaultPath: "/dev/kubeconfig/", VaultKey: "other", Required: true},
		{Name: "PW", Source: "vault", VaultMount: "kv", VaultPath: "app", VaultKey: "pw", Required: true},
	})
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if got := valueOf(t, res, "KUBECONFIG_DATA"); got.Value.Reveal() != canary || got.Origin != "vault secret/dev/kubeconfig#config" {
		t.Errorf("KUBECONFIG_DATA: origin %q, value matches %v", got.Origin, got.Value.Reveal() == canary)
	}
	if got := valueOf(t, res, "OTHER").Value.Reveal(); got != "o-value" {
		t.Errorf("OTHER = %q", got)
	}
	if got := valueOf(t, res, "PW").Value.Reveal(); got != "custom-mount" {
		t.Errorf("PW = %q", got)
	}
	if n := fv.hitsFor("secret/dev/kubeconfig"); n != 1 {
		t.Errorf("two keys of one secret took %d reads, want 1", n)
	}
	if fv.badToken != 0 {
		t.Errorf("%d requests lacked the token", fv.badToken)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings = %v", res.Warnings)
	}
}

func TestVaultStripsUpstreamDataPrefix(t *testing.T) {
	t.Parallel()
	fv := newFakeVault(t, canaryToken, "")
	fv.put("secret/dev/kubeconfig", map[string]any{"config": "kube-config"})
	r := vaultResolver(t, fv, nil)
	for _, vp := range []string{"secret/data/dev/kubeconfig", "data/dev/kubeconfig"} {
		res, err := r.Resolve(context.Background(), []config.Secret{
			{Name: "KUBECONFIG_DATA", Source: "vault", VaultPath: vp, VaultKey: "config", Required: true}})
		if err != nil {
			t.Fatalf("%s: Resolve: %v", vp, err)
		}
		if got := valueOf(t, res, "KUBECONFIG_DATA").Value.Reveal(); got != "kube-config" {
			t.Errorf("%s: value = %q", vp, got)
		}
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "stripped") ||
			!strings.Contains(res.Warnings[0].Message, "secret/dev/kubeconfig") {
			t.Errorf("%s: warnings = %v, want one about the stripped prefix", vp, res.Warnings)
		}
	}
}

func TestVaultFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(fv *fakeVault)
		token     string
		mod       func(*ResolverConfig)
		wantErr   []error
		wantHits  int
		wantInErr []string
	}{
		{
			name:      "403 wrong token is permanent",
			setup:     func(fv *fakeVault) { fv.put("secret/p", map[string]any{"k": "v"}) },
			token:     "hvs.other-token",
			wantErr:   []error{ErrPermissionDenied},
			wantHits:  1,
			wantInErr: []string{"permission denied", "secret/p", "HTTP 403", "P_SECRET"},
		},
		{
			name:      "404 missing secret",
			setup:     func(fv *fakeVault) {},
			wantErr:   []error{ErrNotFound},
			wantHits:  1,
			wantInErr: []string{"secret/p", "HTTP 404"},
		},
		{
			name: "404 deleted version",
			setup: func(fv *fakeVault) {
				fv.put("secret/p", map[string]any{"k": "v"})
				fv.deleted["secret/p"] = true
			},
			wantErr:  []error{ErrNotFound},
			wantHits: 1,
		},
		{
			name:      "missing key",
			setup:     func(fv *fakeVault) { fv.put("secret/p", map[string]any{"other": "v"}) },
			wantErr:   []error{ErrNotFound},
			wantHits:  1,
			wantInErr: []string{`key "k" is not in the secret`},
		},
		{
			name:      "key is not a string",
			setup:     func(fv *fakeVault) { fv.put("secret/p", map[string]any{"k": map[string]any{"nested": canary}}) },
			wantErr:   []error{ErrInvalidResponse},
			wantHits:  1,
			wantInErr: []string{"an object, not a string"},
		},
		{
			name:      "429 every time exhausts the retries",
			setup:     func(fv *fakeVault) { fv.script["secret/p"] = []int{429, 429, 429, 429, 429} },
			wantErr:   []error{ErrUnavailable},
			wantHits:  4,
			wantInErr: []string{"HTTP 429", "after 4 attempts"},
		},
		{
			name:      "retries disabled",
			setup:     func(fv *fakeVault) { fv.script["secret/p"] = []int{503} },
			mod:       func(c *ResolverConfig) { c.Retry.MaxRetries = -1 },
			wantErr:   []error{ErrUnavailable},
			wantHits:  1,
			wantInErr: []string{"HTTP 503"},
		},
		{
			name:      "hanging server times out each attempt",
			setup:     func(fv *fakeVault) { fv.hang["secret/p"] = true },
			mod:       func(c *ResolverConfig) { c.Vault.Timeout = 20 * time.Millisecond; c.Retry.MaxRetries = 1 },
			wantErr:   []error{ErrUnavailable, context.DeadlineExceeded},
			wantHits:  2,
			wantInErr: []string{"after 2 attempts"},
		},
		{
			name:     "400 is permanent",
			setup:    func(fv *fakeVault) { fv.script["secret/p"] = []int{400} },
			wantErr:  []error{ErrInvalidResponse},
			wantHits: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fv := newFakeVault(t, canaryToken, "")
			tc.setup(fv)
			if tc.token != "" {
				fv.token = tc.token
			}
			r := vaultResolver(t, fv, tc.mod)
			res, err := r.Resolve(context.Background(), []config.Secret{
				{Name: "P_SECRET", Source: "vault", VaultPath: "p", VaultKey: "k", Required: true},
				{Name: "P_OPTIONAL", Source: "vault", VaultPath: "p", VaultKey: "k"},
			})
			for _, want := range tc.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want errors.Is %v", err, want)
				}
			}
			var ve *VaultError
			if !errors.As(err, &ve) && !errors.Is(err, ErrNotFound) {
				t.Errorf("err %v carries no *VaultError", err)
			}
			for _, s := range tc.wantInErr {
				if err == nil || !strings.Contains(err.Error(), s) {
					t.Errorf("err = %v, want it to mention %q", err, s)
				}
			}
			if got := fv.hitsFor("secret/p"); got != tc.wantHits {
				t.Errorf("server saw %d requests, want %d (the optional twin must reuse the result)", got, tc.wantHits)
			}
			if len(res.Warnings) != 1 || res.Warnings[0].Secret != "P_OPTIONAL" || !errors.Is(res.Warnings[0].Err, tc.wantErr[0]) {
				t.Errorf("warnings = %v, want one for P_OPTIONAL", res.Warnings)
			}
			if err != nil {
				mustNotLeak(t, "error", err.Error())
			}
		})
	}
}

func TestVaultRetriesThenSucceeds(t *testing.T) {
	t.Parallel()
	for _, script := range [][]int{{500}, {502, 503, 504}, {429}, {412, 500}} {
		fv := newFakeVault(t, canaryToken, "")
		fv.put("secret/p", map[string]any{"k": "after-retry"})
		fv.script["secret/p"] = script
		r := vaultResolver(t, fv, nil)
		res, err := r.Resolve(context.Background(), []config.Secret{{Name: "P", Source: "vault", VaultPath: "p", VaultKey: "k", Required: true}})
		if err != nil {
			t.Fatalf("script %v: Resolve: %v", script, err)
		}
		if got := valueOf(t, res, "P").Value.Reveal(); got != "after-retry" {
			t.Errorf("script %v: value = %q", script, got)
		}
		if got, want := fv.hitsFor("secret/p"), len(script)+1; got != want {
			t.Errorf("script %v: %d requests, want %d", script, got, want)
		}
	}
}

func TestVaultRetryStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	fv := newFakeVault(t, canaryToken, "")
	fv.script["secret/p"] = []int{503, 503, 503, 503}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fv.onHit = func(string) { cancel() } // cancelled while the first answer is on its way
	// The backoff would wait an hour: only ctx.Done() can end it.
	r := vaultResolver(t, fv, func(c *ResolverConfig) {
		c.Retry = RetryPolicy{MaxRetries: 3, InitialDelay: time.Hour, MaxDelay: time.Hour}
	})
	_, err := r.Resolve(ctx, []config.Secret{{Name: "P", Source: "vault", VaultPath: "p", VaultKey: "k", Required: true}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := fv.hitsFor("secret/p"); got != 1 {
		t.Errorf("%d requests after cancel, want 1", got)
	}
}

func TestVaultNotConfigured(t *testing.T) {
	t.Parallel()
	for name, vc := range map[string]VaultConfig{
		"no address": {Token: New(canaryToken)},
		"no token":   {Addr: "http://127.0.0.1:1"},
	} {
		r := newResolver(t, ResolverConfig{ConfigDir: t.TempDir(), Vault: vc})
		res, err := r.Resolve(context.Background(), []config.Secret{
			{Name: "REQ", Source: "vault", VaultPath: "p", VaultKey: "k", Required: true},
			{Name: "OPT", Source: "vault", VaultPath: "p", VaultKey: "k"},
		})
		var re *ResolutionError
		if !errors.As(err, &re) || len(re.Failures) != 1 || re.Failures[0].Name != "REQ" || !errors.Is(err, ErrVaultNotConfigured) {
			t.Errorf("%s: err = %v, want REQ failing with ErrVaultNotConfigured", name, err)
		}
		if len(res.Warnings) != 1 || !errors.Is(res.Warnings[0].Err, ErrVaultNotConfigured) {
			t.Errorf("%s: warnings = %v", name, res.Warnings)
		}
		if err != nil {
			mustNotLeak(t, name, err.Error())
		}
	}
}

func TestVaultTokenNeverPrinted(t *testing.T) {
	t.Parallel()
	cfg := ResolverConfig{ConfigDir: "/x", Vault: VaultConfig{Addr: "http://v", Token: New(canaryToken)}}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		mustNotLeak(t, "config "+format, strings.ReplaceAll(sprintf(format, cfg), "\n", ""))
	}
}
