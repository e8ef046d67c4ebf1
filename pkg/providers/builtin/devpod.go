package builtin

import (
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/devpod"
)

// devpodSettings are the devpod block's settings: the devpod binary; home, its DEVPOD_HOME
// (a kept folder on a long-lived executor; unset, a temporary folder per executor process,
// on which machine backends are refused); the docker CLI that removes the docker backend's
// volumes; and how long a busy workspace is waited for. Backend credentials are the clouds'
// own variables, read from the executor's environment at each job.
var devpodSettings = []string{"binary", "home", "docker_binary", "ready_timeout"}

// newDevPod is the devpod row's constructor; only an unusable ready_timeout fails it.
func newDevPod(getenv func(string) string, settings map[string]string) (providers.Provider, error) {
	cfg := devpod.ConfigFromEnv(getenv)
	cfg.Binary = settings["binary"]
	cfg.Home = settings["home"]
	cfg.DockerBinary = settings["docker_binary"]
	if d, ok, err := durationSetting(settings, "ready_timeout", "2m"); err != nil {
		return nil, err
	} else if ok {
		cfg.ReadyTimeout = d
	}
	return devpod.New(cfg), nil
}
