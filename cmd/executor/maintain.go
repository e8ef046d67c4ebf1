package main

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// maintainEvery is how often the executor runs its providers' housekeeping (providers.Maintainer)
// after the pass at start-up.
const maintainEvery = 2 * time.Minute

// maintainTimeout bounds one provider's housekeeping pass.
const maintainTimeout = time.Minute

// maintain runs Maintain of every enabled provider that has one at once, then every `every`,
// until ctx ends. A failure is logged and tried again at the next pass: housekeeping never
// stops the executor.
func maintain(ctx context.Context, reg *providers.Registry, every time.Duration, log zerolog.Logger) {
	var ms []providers.Maintainer
	var names []string
	for _, name := range reg.Names() {
		p, err := reg.Get(name)
		if err != nil {
			continue
		}
		if m, ok := p.(providers.Maintainer); ok {
			ms, names = append(ms, m), append(names, name)
		}
	}
	if len(ms) == 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for i, m := range ms {
			mctx, cancel := context.WithTimeout(ctx, maintainTimeout)
			if err := m.Maintain(mctx); err != nil && ctx.Err() == nil {
				log.Warn().Err(err).Str("provider", names[i]).Msg("provider housekeeping failed; tried again at the next pass")
			}
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
