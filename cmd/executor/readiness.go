package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// providerCheckTimeout bounds the providers' readiness checks at start.
const providerCheckTimeout = 10 * time.Second

// providerReadiness is one registered provider's readiness, as checked at start.
type providerReadiness struct {
	Name string
	// Checked is false for a provider that is not a providers.Checker.
	Checked bool
	providers.Readiness
}

// String is the provider's line in /readyz.
func (r providerReadiness) String() string {
	switch {
	case !r.Checked:
		return "provider " + r.Name + ": no readiness check"
	case r.Ready && r.Version != "":
		return fmt.Sprintf("provider %s: ready (version %s)", r.Name, r.Version)
	case r.Ready:
		return "provider " + r.Name + ": ready"
	}
	return fmt.Sprintf("provider %s: not ready: %s", r.Name, strings.Join(r.Problems, "; "))
}

// checkProviders asks every provider in reg that is a providers.Checker whether it is ready,
// all at once and for at most timeout (a check that has not answered by then counts as not
// ready), and logs each answer. A provider that is not ready stays registered: its jobs fail
// with the reason, and the executor serves the others.
func checkProviders(ctx context.Context, reg *providers.Registry, timeout time.Duration, log zerolog.Logger) []providerReadiness {
	names := reg.Names()
	out := make([]providerReadiness, len(names))
	type answer struct {
		i int
		r providers.Readiness
	}
	answers := make(chan answer, len(names)) // buffered: a check that answers late never blocks
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pending := map[int]bool{}
	for i, name := range names {
		out[i].Name = name
		p, err := reg.Get(name)
		c, ok := p.(providers.Checker)
		if err != nil || !ok {
			continue
		}
		out[i].Checked, pending[i] = true, true
		go func() {
			defer func() {
				if recover() != nil {
					answers <- answer{i, providers.Readiness{Problems: []string{"readiness check panicked"}}}
				}
			}()
			answers <- answer{i, c.Check(cctx)}
		}()
	}
	for len(pending) > 0 {
		select {
		case a := <-answers:
			out[a.i].Readiness = a.r
			delete(pending, a.i)
		case <-cctx.Done():
			for i := range pending {
				out[i].Readiness = providers.Readiness{Problems: []string{"readiness check did not answer within " + timeout.String()}}
			}
			clear(pending)
		}
	}
	for _, r := range out {
		switch {
		case !r.Checked:
			log.Info().Str("provider", r.Name).Msg("provider registered; it has no readiness check")
		case r.Ready:
			log.Info().Str("provider", r.Name).Str("version", r.Version).Msg("provider ready")
		default:
			log.Warn().Str("provider", r.Name).Strs("problems", r.Problems).Msg("provider not ready: its jobs fail until this is fixed")
		}
	}
	return out
}
