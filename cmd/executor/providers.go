package main

import (
	"fmt"
	"slices"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// buildRegistry registers the built-in providers (only those in cfg.Providers when it is set)
// and extra. Each provider takes its platform settings from the environment here, in cmd/.
func buildRegistry(cfg config, getenv func(string) string, extra []providers.Provider) (*providers.Registry, error) {
	want := func(name string) bool { return len(cfg.Providers) == 0 || slices.Contains(cfg.Providers, name) }
	reg := &providers.Registry{}
	if want("docker") {
		p, err := docker.New(docker.ConfigFromEnv(getenv))
		if err != nil {
			return nil, err
		}
		if err := reg.Register(p); err != nil {
			return nil, err
		}
	}
	for _, p := range extra {
		if want(p.Name()) {
			if err := reg.Register(p); err != nil {
				return nil, err
			}
		}
	}
	for _, name := range cfg.Providers {
		if _, err := reg.Get(name); err != nil {
			return nil, fmt.Errorf("providers: %w", err)
		}
	}
	return reg, nil
}
