package secrets

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
)

func TestVaultFromEnv(t *testing.T) {
	t.Parallel()
	vc, hc, err := VaultFromEnv(mapEnv(map[string]string{
		"VAULT_ADDR": "https://vault:8200", "VAULT_TOKEN": canaryToken, "VAULT_NAMESPACE": "ns1", "VAULT_TIMEOUT": "7",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if vc.Addr != "https://vault:8200" || vc.Token.Reveal() != canaryToken || vc.Namespace != "ns1" || vc.Timeout != 7*time.Second || hc != nil {
		t.Errorf("VaultFromEnv = %+v, client %v", vc, hc)
	}
	if vc, _, _ := VaultFromEnv(mapEnv(map[string]string{"VAULT_TIMEOUT": "1m30s"})); vc.Timeout != 90*time.Second {
		t.Errorf("duration timeout = %v", vc.Timeout)
	}
	for k, v := range map[string]string{"VAULT_TIMEOUT": "soon", "VAULT_SKIP_VERIFY": "yes"} {
		if _, _, err := VaultFromEnv(mapEnv(map[string]string{k: v})); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s=%s: err = %v", k, v, err)
		}
	}
	if vc, _, _ := VaultFromEnv(mapEnv(nil)); vc.Addr != "" || !vc.Token.IsEmpty() {
		t.Errorf("empty env gave %+v", vc)
	}
}

func TestVaultFromEnvSkipVerifyReachesTLSServer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":{"data":{"k":"tls-value"}}}`))
	}))
	t.Cleanup(srv.Close)
	for _, skip := range []string{"true", "false"} {
		vc, hc, err := VaultFromEnv(mapEnv(map[string]string{"VAULT_ADDR": srv.URL, "VAULT_TOKEN": "t", "VAULT_SKIP_VERIFY": skip}))
		if err != nil {
			t.Fatal(err)
		}
		r := newResolver(t, ResolverConfig{ConfigDir: t.TempDir(), Vault: vc, HTTPClient: hc, Retry: fastRetry})
		res, err := r.Resolve(context.Background(), []config.Secret{{Name: "K", Source: "vault", VaultPath: "p", VaultKey: "k", Required: true}})
		if skip == "true" {
			if err != nil || valueOf(t, res, "K").Value.Reveal() != "tls-value" {
				t.Errorf("skip verify: err = %v", err)
			}
		} else {
			var ve *VaultError
			if !errors.Is(err, ErrInvalidConfig) || !errors.As(err, &ve) || ve.Attempts != 1 {
				t.Errorf("verified TLS against a self-signed server: err = %v, want one permanent ErrInvalidConfig attempt", err)
			}
		}
	}
}
