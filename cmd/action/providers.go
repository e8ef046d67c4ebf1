package main

import (
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// buildRegistry registers the providers the embedded executor can run; each takes its
// platform settings from the environment here.
func buildRegistry(getenv func(string) string) (*providers.Registry, error) {
	reg := &providers.Registry{}
	d, err := docker.New(docker.ConfigFromEnv(getenv))
	if err != nil {
		return nil, err
	}
	if err := reg.Register(d); err != nil {
		return nil, err
	}
	return reg, nil
}
