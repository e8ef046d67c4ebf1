package main

import (
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// buildRegistry registers the providers the embedded executor can run; each takes its
// platform settings from the environment here.
func buildRegistry(getenv func(string) string) (*providers.Registry, error) {
	reg := &providers.Registry{}
	separate := docker.InSeparateNetwork()
	switch getenv("SINDRI_DOCKER_SEPARATE_NETWORK") {
	case "true", "1":
		separate = true
	case "false", "0":
		separate = false
	}
	d, err := docker.New(docker.Config{
		Host:            getenv("DOCKER_HOST"),
		BindAddress:     getenv("SINDRI_DOCKER_BIND_ADDRESS"),
		SeparateNetwork: separate,
	})
	if err != nil {
		return nil, err
	}
	if err := reg.Register(d); err != nil {
		return nil, err
	}
	return reg, nil
}

// loadConfig validates a job's sindri.yaml for the executor.
func loadConfig(path string, data []byte) (*config.Config, error) {
	cfg, diags := config.Load(path, data)
	if err := diags.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
}
