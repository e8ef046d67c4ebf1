package providertest

import (
	"context"
	"maps"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// ListingFake is a Fake that also implements providers.Lister. Fake itself does not, so that
// executor and reaper tests that use it see no platform listing unless they ask for one.
type ListingFake struct{ *Fake }

var _ providers.Lister = ListingFake{}

// NewListingFake returns an empty ListingFake.
func NewListingFake(opts ...Option) ListingFake { return ListingFake{NewFake(opts...)} }

// List implements providers.Lister: every environment on the Fake's platform, with the labels
// of its last Deploy. It returns an error when the file-backed store cannot be read.
func (f ListingFake) List(context.Context) ([]providers.Managed, error) {
	envs, err := f.Envs()
	if err != nil {
		return nil, err
	}
	out := make([]providers.Managed, 0, len(envs))
	for _, e := range envs {
		out = append(out, providers.Managed{Env: e.Env, State: e.State, Labels: maps.Clone(e.Labels)})
	}
	return out, nil
}
