package secrets

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Environment variables read by VaultFromEnv (upstream names).
const (
	// EnvVaultAddr is the Vault base URL.
	EnvVaultAddr = "VAULT_ADDR"
	// EnvVaultToken is the Vault token.
	EnvVaultToken = "VAULT_TOKEN"
	// EnvVaultNamespace is the optional Vault namespace.
	EnvVaultNamespace = "VAULT_NAMESPACE"
	// EnvVaultTimeout is the per-request timeout in seconds (a Go duration such as 45s also works).
	EnvVaultTimeout = "VAULT_TIMEOUT"
	// EnvVaultSkipVerify set to "true" or "1" disables TLS verification.
	EnvVaultSkipVerify = "VAULT_SKIP_VERIFY"
)

// VaultFromEnv builds the Vault settings of a ResolverConfig from the upstream VAULT_*
// variables through lookup (os.LookupEnv in a cmd/* main; the package reads nothing itself).
// The returned client is nil unless VAULT_SKIP_VERIFY asks for one that skips TLS verification.
// It returns an error wrapping ErrInvalidConfig for an unparsable VAULT_TIMEOUT or
// VAULT_SKIP_VERIFY.
func VaultFromEnv(lookup func(string) (string, bool)) (VaultConfig, *http.Client, error) {
	get := func(k string) string {
		v, _ := lookup(k)
		return v
	}
	vc := VaultConfig{Addr: get(EnvVaultAddr), Token: New(get(EnvVaultToken)), Namespace: get(EnvVaultNamespace)}
	if t := get(EnvVaultTimeout); t != "" {
		if n, err := strconv.Atoi(t); err == nil && n > 0 {
			vc.Timeout = time.Duration(n) * time.Second
		} else if d, err := time.ParseDuration(t); err == nil && d > 0 {
			vc.Timeout = d
		} else {
			return VaultConfig{}, nil, fmt.Errorf("%w: %s is not a number of seconds", ErrInvalidConfig, EnvVaultTimeout)
		}
	}
	var hc *http.Client
	switch v := get(EnvVaultSkipVerify); v {
	case "", "false", "0":
	case "true", "1":
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicitly requested by VAULT_SKIP_VERIFY
		hc = &http.Client{Transport: tr}
	default:
		return VaultConfig{}, nil, fmt.Errorf("%w: %s must be true, 1, false or 0", ErrInvalidConfig, EnvVaultSkipVerify)
	}
	return vc, hc, nil
}
