package builtin

import (
	"errors"
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/e2b"
)

// e2bSettings are the e2b block's settings. The API key is E2B_API_KEY (the executor's
// environment or the block's api_key); E2B_API_URL, E2B_DOMAIN and E2B_SANDBOX_URL are read as
// the SDKs do.
var e2bSettings = []string{"api_url", "domain", "sandbox_url", "api_key", "poll_interval"}

// newE2B is the e2b row's constructor. A missing key is not an error here: the provider's
// Check reports it and its operations return providers.MissingCredential.
func newE2B(getenv func(string) string, settings map[string]string) (providers.Provider, error) {
	cfg := e2b.ConfigFromEnv(getenv)
	if v, ok := settings["api_url"]; ok {
		cfg.APIURL = v
	}
	if v, ok := settings["domain"]; ok {
		cfg.Domain = v
	}
	if v, ok := settings["sandbox_url"]; ok {
		cfg.SandboxURL = v
	}
	if v, ok := settings["api_key"]; ok {
		cfg.APIKey = v
	}
	if v, ok := settings["poll_interval"]; ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, &SettingError{Setting: "poll_interval", Err: fmt.Errorf("%q is not a positive duration such as 2s", v)}
		}
		cfg.PollInterval = d
	}
	p, err := e2b.New(cfg)
	if err != nil {
		setting := "api_url"
		var ue *e2b.URLError
		if errors.As(err, &ue) {
			setting = ue.Setting
		}
		return nil, &SettingError{Setting: setting, Err: err}
	}
	return p, nil
}
