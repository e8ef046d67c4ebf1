package builtin

import (
	"fmt"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/fly"
)

// flySettings are the fly block's settings: api_url (the Machines API root, default
// https://api.machines.dev/v1), token_env (the variable holding the token, default
// FLY_API_TOKEN), org (the organization List looks in, default personal) and app_prefix (put
// in front of every app name).
var flySettings = []string{"api_url", "token_env", "org", "app_prefix"}

// newFly is the fly row's constructor. A missing token is not an error here: the provider's
// operations report it, naming the variable.
func newFly(getenv func(string) string, settings map[string]string) (providers.Provider, error) {
	cfg := fly.ConfigFromEnv(getenv)
	if v, ok := settings["token_env"]; ok {
		if v == "" || !validVarName(v) {
			return nil, &SettingError{Setting: "token_env", Err: fmt.Errorf("%q is not an environment variable name", v)}
		}
		cfg.Token, cfg.TokenVar = getenv(v), v
	}
	if v, ok := settings["api_url"]; ok {
		cfg.APIURL = v
	}
	cfg.Org = settings["org"]
	cfg.AppPrefix = settings["app_prefix"]
	p, err := fly.New(cfg)
	if err != nil {
		if _, ok := settings["api_url"]; ok {
			return nil, &SettingError{Setting: "api_url", Err: err}
		}
		return nil, &SettingError{Setting: "app_prefix", Err: err}
	}
	return p, nil
}

func validVarName(s string) bool {
	for i, r := range s {
		ok := r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return s != ""
}
