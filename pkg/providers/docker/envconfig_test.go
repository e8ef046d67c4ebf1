package docker_test

import (
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"DOCKER_HOST": "tcp://127.0.0.1:2376", "DOCKER_CERT_PATH": "/certs", "DOCKER_TLS_VERIFY": "1",
		"SINDRI_DOCKER_BIND_ADDRESS": "127.0.0.2", "SINDRI_DOCKER_SEPARATE_NETWORK": "true",
	}
	c := docker.ConfigFromEnv(func(k string) string { return env[k] })
	if c.Host != "tcp://127.0.0.1:2376" || c.BindAddress != "127.0.0.2" || !c.SeparateNetwork ||
		c.TLSCAFile != "/certs/ca.pem" || c.TLSCertFile != "/certs/cert.pem" || c.TLSKeyFile != "/certs/key.pem" {
		t.Errorf("ConfigFromEnv = %+v", c)
	}
	env["SINDRI_DOCKER_SEPARATE_NETWORK"] = "0"
	delete(env, "DOCKER_TLS_VERIFY")
	c = docker.ConfigFromEnv(func(k string) string { return env[k] })
	if c.SeparateNetwork || c.TLSCAFile != "" {
		t.Errorf("override false / no TLS verify: %+v", c)
	}
}
