package e2b

import "time"

// ConfigFromEnv reads the provider's configuration through getenv (the mains pass
// os.Getenv): E2B_API_KEY, E2B_API_URL, E2B_DOMAIN and E2B_SANDBOX_URL (the SDKs' names) and
// SINDRI_E2B_POLL_INTERVAL (a Go duration). It is the only place these names are read.
func ConfigFromEnv(getenv func(string) string) Config {
	cfg := Config{APIKey: getenv(CredentialVar), APIURL: getenv("E2B_API_URL"), Domain: getenv("E2B_DOMAIN"),
		SandboxURL: getenv("E2B_SANDBOX_URL")}
	if d, err := time.ParseDuration(getenv("SINDRI_E2B_POLL_INTERVAL")); err == nil && d > 0 {
		cfg.PollInterval = d
	}
	return cfg
}
