package docker

import (
	"context"

	"github.com/moby/moby/api/types/container"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// decision is what Deploy does with the environment's container, and what Plan says it would
// do: both get it from decide, so they cannot disagree.
type decision struct {
	// existing is the env's container (ours), nil when there is none and one is created.
	existing *container.InspectResponse
	// upToDate: existing has the desired config hash, image ID and secrets, so it is kept
	// (and started when it is not running); otherwise it is replaced.
	upToDate bool
	// why says why an existing container is replaced.
	why string
}

// decide inspects the container named d.ContainerName and compares it with d. d.ImageID is
// empty when the image is not on the engine yet (Plan before a pull): the container is then
// taken as out of date. Errors: providers.ErrConflict for a foreign container, engine errors.
func (p *Provider) decide(ctx context.Context, s *providers.Spec, d *desired) (decision, error) {
	existing, err := p.ownedContainer(ctx, d.ContainerName, d.owner())
	if err != nil || existing == nil {
		return decision{}, err
	}
	dc := decision{existing: existing}
	switch {
	case s.Options.Force:
		dc.why = "a forced deploy recreates it"
	case d.ImageID == "" || existing.Config == nil || existing.Image != d.ImageID:
		dc.why = "the image changed"
	case existing.Config.Labels[LabelConfigHash] != d.hash():
		dc.why = "the configuration changed"
	default:
		same, err := p.secretsMatch(ctx, existing, d)
		if err != nil {
			return decision{}, err
		}
		dc.upToDate = same
		if !same {
			dc.why = "secrets changed"
		}
	}
	return dc, nil
}
