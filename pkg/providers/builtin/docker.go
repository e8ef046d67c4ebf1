package builtin

import (
	"fmt"
	"strconv"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// dockerVars pairs each docker block setting with the variable of docker.ConfigFromEnv it
// stands for; the variable keeps working when the setting is not set.
var dockerVars = [][2]string{
	{"host", "DOCKER_HOST"},
	{"cert_path", "DOCKER_CERT_PATH"},
	{"tls_verify", "DOCKER_TLS_VERIFY"},
	{"bind_address", "SINDRI_DOCKER_BIND_ADDRESS"},
	{"separate_network", "SINDRI_DOCKER_SEPARATE_NETWORK"},
	{"public_url", "SINDRI_DOCKER_PUBLIC_URL"},
	{"caddy_admin", "SINDRI_DOCKER_CADDY_ADMIN"},
	{"caddy_listen", "SINDRI_DOCKER_CADDY_LISTEN"},
	{"ssh_config", "SINDRI_DOCKER_SSH_CONFIG"},
}

// dockerSettings are the docker block's settings.
var dockerSettings = func() []string {
	out := make([]string, len(dockerVars))
	for i, p := range dockerVars {
		out[i] = p[0]
	}
	return out
}()

// newDocker is the docker row's constructor. Docker needs no credential.
func newDocker(getenv func(string) string, settings map[string]string) (providers.Provider, error) {
	cfg, err := dockerConfig(getenv, settings)
	if err != nil {
		return nil, err
	}
	p, err := docker.New(cfg)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// dockerConfig is docker.ConfigFromEnv with the settings in place of their variables. The
// boolean settings must be booleans; a set variable of the same meaning keeps docker's own
// reading (DOCKER_TLS_VERIFY: any value turns TLS on).
func dockerConfig(getenv func(string) string, settings map[string]string) (docker.Config, error) {
	vars := map[string]string{}
	for _, p := range dockerVars {
		name, variable := p[0], p[1]
		v, ok := settings[name]
		if !ok {
			continue
		}
		switch name {
		case "tls_verify", "separate_network":
			on, err := strconv.ParseBool(v)
			if err != nil {
				return docker.Config{}, &SettingError{Setting: name, Err: fmt.Errorf("%q is not true or false", v)}
			}
			v = map[bool]string{true: "1", false: "0"}[on]
			if name == "tls_verify" && !on {
				v = "" // DOCKER_TLS_VERIFY is on whenever it is not empty
			}
		}
		vars[variable] = v
	}
	return docker.ConfigFromEnv(func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return getenv(k)
	}), nil
}
