package northflank

import "time"

// ConfigFromEnv reads the provider's configuration through getenv (the mains pass
// os.Getenv): NORTHFLANK_API_TOKEN, SINDRI_NORTHFLANK_API_URL and
// SINDRI_NORTHFLANK_POLL_INTERVAL (a Go duration). It is the only place these names are read.
func ConfigFromEnv(getenv func(string) string) Config {
	cfg := Config{Token: getenv(CredentialVar), APIURL: getenv("SINDRI_NORTHFLANK_API_URL")}
	if d, err := time.ParseDuration(getenv("SINDRI_NORTHFLANK_POLL_INTERVAL")); err == nil && d > 0 {
		cfg.PollInterval = d
	}
	return cfg
}
