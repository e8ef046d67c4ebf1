package builtin

import (
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/runpod"
)

// runpodSettings are the runpod block's settings. The API key is RUNPOD_API_KEY (the
// executor's environment or the block's api_key).
var runpodSettings = []string{"api_url", "api_key", "poll_interval"}

// newRunPod is the runpod row's constructor. A missing key is not an error here: the
// provider's Check reports it and its operations return providers.MissingCredential.
func newRunPod(getenv func(string) string, settings map[string]string) (providers.Provider, error) {
	cfg := runpod.ConfigFromEnv(getenv)
	if v, ok := settings["api_url"]; ok {
		cfg.APIURL = v
	}
	if v, ok := settings["api_key"]; ok {
		cfg.APIKey = v
	}
	if v, ok := settings["poll_interval"]; ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, &SettingError{Setting: "poll_interval", Err: fmt.Errorf("%q is not a positive duration such as 5s", v)}
		}
		cfg.PollInterval = d
	}
	p, err := runpod.New(cfg)
	if err != nil {
		return nil, &SettingError{Setting: "api_url", Err: err}
	}
	return p, nil
}
