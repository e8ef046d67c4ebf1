package providertest

import (
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Persistence is how Conformance checks the provider guide's persistence column: stop keeps
// the environment's state. On a real boundary (the Docker engine, devpod's docker backend) set
// WriteMarker and ReadMarker, which reach into the running environment; against a platform
// fake set HomeVolume, which names the volume the platform has attached to the environment.
type Persistence struct {
	// WriteMarker writes marker into the home volume of the running env.
	WriteMarker func(t *testing.T, p providers.Provider, env, marker string)
	// ReadMarker reads back what WriteMarker wrote into the running env's home volume.
	ReadMarker func(t *testing.T, p providers.Provider, env string) string
	// HomeVolume returns the identity (id, not name) of the volume attached to env as its home.
	HomeVolume func(t *testing.T, p providers.Provider, env string) string
}

// stopKeepsState deploys, writes a marker into the home volume (or notes which volume is
// attached), stops, starts and wants the marker (the same volume) back.
func (c *conformance) stopKeepsState(t *testing.T) {
	t.Parallel()
	ps := c.cfg.Persistence
	if ps == nil || (ps.HomeVolume == nil && (ps.WriteMarker == nil || ps.ReadMarker == nil)) {
		t.Skip("no ConformanceConfig.Persistence: the provider's test does not say how to reach its home volume")
	}
	p, s := c.setup(t, "persist")
	needStopStart(t, p)
	ctx := c.ctx(t)
	c.deploy(t, ctx, p, s, nil)
	marker := "sindri-marker-" + randomHex(8)
	var vol string
	if ps.WriteMarker != nil {
		ps.WriteMarker(t, p, s.Env, marker)
	}
	if ps.HomeVolume != nil {
		if vol = ps.HomeVolume(t, p, s.Env); vol == "" {
			t.Fatal("HomeVolume after Deploy: no home volume attached")
		}
	}
	c.stopStartOnce(t, ctx, p, s, false, "Stop")
	c.stopStartOnce(t, ctx, p, s, true, "Start")
	if ps.ReadMarker != nil {
		if got := ps.ReadMarker(t, p, s.Env); got != marker {
			t.Errorf("home volume after Stop and Start holds %q, want the marker %q written before Stop", got, marker)
		}
	}
	if ps.HomeVolume != nil {
		if got := ps.HomeVolume(t, p, s.Env); got != vol {
			t.Errorf("home volume after Stop and Start is %q, want the one attached before Stop, %q", got, vol)
		}
	}
}
