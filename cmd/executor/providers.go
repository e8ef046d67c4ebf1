package main

import (
	"fmt"
	"slices"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/builtin"
)

// buildRegistry registers the built-in providers (only those in cfg.Providers when it is set),
// configured by the file's provider blocks and the environment, and extra.
func buildRegistry(cfg config, getenv func(string) string, extra []providers.Provider) (*providers.Registry, error) {
	reg, err := builtin.Registry(getenv, cfg.ProviderBlocks, cfg.Providers)
	if err != nil {
		return nil, err
	}
	for _, p := range extra {
		if len(cfg.Providers) == 0 || slices.Contains(cfg.Providers, p.Name()) {
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
