package runpod

import "time"

// ConfigFromEnv reads the provider's configuration through getenv (the mains pass
// os.Getenv): RUNPOD_API_KEY, SINDRI_RUNPOD_API_URL and SINDRI_RUNPOD_POLL_INTERVAL (a Go
// duration). It is the only place these names are read.
func ConfigFromEnv(getenv func(string) string) Config {
	cfg := Config{APIKey: getenv(CredentialVar), APIURL: getenv("SINDRI_RUNPOD_API_URL")}
	if d, err := time.ParseDuration(getenv("SINDRI_RUNPOD_POLL_INTERVAL")); err == nil && d > 0 {
		cfg.PollInterval = d
	}
	return cfg
}
