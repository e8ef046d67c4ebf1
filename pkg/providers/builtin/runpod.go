package builtin

import (
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
	if d, ok, err := durationSetting(settings, "poll_interval", "5s"); err != nil {
		return nil, err
	} else if ok {
		cfg.PollInterval = d
	}
	p, err := runpod.New(cfg)
	if err != nil {
		return nil, &SettingError{Setting: "api_url", Err: err}
	}
	return p, nil
}
