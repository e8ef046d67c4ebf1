package vm

import (
	"fmt"
	"maps"
	"slices"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// handleVersion is the version of the handle Deploy writes.
const handleVersion = 1

// handleState is what the handle records: everything a config-less teardown needs to find
// the instance (the reaper sends no config). Version 1 is the first; Cloud "" is aws.
type handleState struct {
	Cloud    string `json:"cloud"`
	Region   string `json:"region"`
	Instance string `json:"instance"`
	// Scope is where in the cloud's account the instance is, for clouds that need it to
	// find it again: the GCP project, the Azure subscription/resource-group (scoped).
	Scope string `json:"scope,omitempty"`
}

// readHandle returns the handle's state; a missing or undecodable handle is the zero state
// (a hint only: tags find the instance).
func readHandle(s *providers.Spec) handleState {
	var st handleState
	if s.Handle == nil || s.Handle.Decode(Name, handleVersion, &st) != nil {
		return handleState{}
	}
	return st
}

func newHandle(cloud config.PackerCloud, c cloudAPI, instance string) string {
	st := handleState{Cloud: string(cloud), Region: c.Region(), Instance: instance}
	if sc, ok := c.(scoped); ok {
		st.Scope = sc.Scope()
	}
	h, _ := providers.NewHandle(Name, handleVersion, st)
	return h
}

// place is a cloud and one of its regions (zone, location).
type place struct {
	cloud  config.PackerCloud
	region string
}

// placesOf is where a teardown looks for the environment: the handle's cloud and region,
// else the config's, else every place the executor names (listPlaces).
func (p *Provider) placesOf(s *providers.Spec) ([]place, error) {
	if h := readHandle(s); h.Region != "" {
		cloud := config.PackerCloud(h.Cloud)
		if cloud == "" {
			cloud = config.CloudAWS
		}
		return []place{{cloud, h.Region}}, nil
	}
	if s.Config != nil && s.Config.Providers.Packer != nil && deploys(s.Config.Providers.Packer.Cloud) {
		pc := s.Config.Providers.Packer
		return []place{{pc.Cloud, region(pc)}}, nil
	}
	if places := p.listPlaces(); len(places) > 0 {
		return places, nil
	}
	return nil, fmt.Errorf("%s: cannot locate environment %s: no handle, no config and no regions (set provider \"packer\" { regions } or AWS_REGION on the executor): %w",
		Name, s.Env, providers.ErrInvalidSpec)
}

// listPlaces are the places List looks in: Config.Regions on AWS, and each other cloud's
// places from Config.Places.
func (p *Provider) listPlaces() []place {
	var out []place
	for _, rg := range p.cfg.Regions {
		out = append(out, place{config.CloudAWS, rg})
	}
	for _, cloud := range slices.Sorted(maps.Keys(p.cfg.Places)) {
		for _, rg := range p.cfg.Places[cloud] {
			out = append(out, place{cloud, rg})
		}
	}
	return out
}
