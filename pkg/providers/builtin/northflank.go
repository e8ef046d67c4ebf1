package builtin

import (
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/northflank"
)

// northflankSettings are the northflank block's settings. The token is NORTHFLANK_API_TOKEN
// (the executor's environment or the block's api_token). poll_interval below 10s spends the
// 1000-requests-an-hour budget that every environment shares.
var northflankSettings = []string{"api_url", "api_token", "poll_interval"}

// newNorthflank is the northflank row's constructor. A missing token is not an error here:
// the provider's Check reports it and its operations return providers.MissingCredential.
func newNorthflank(getenv func(string) string, settings map[string]string) (providers.Provider, error) {
	cfg := northflank.ConfigFromEnv(getenv)
	if v, ok := settings["api_url"]; ok {
		cfg.APIURL = v
	}
	if v, ok := settings["api_token"]; ok {
		cfg.Token = v
	}
	if d, ok, err := durationSetting(settings, "poll_interval", "12s"); err != nil {
		return nil, err
	} else if ok {
		cfg.PollInterval = d
	}
	p, err := northflank.New(cfg)
	if err != nil {
		return nil, &SettingError{Setting: "api_url", Err: err}
	}
	return p, nil
}
