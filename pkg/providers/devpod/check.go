package devpod

import (
	"bytes"
	"context"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Check implements providers.Checker: devpod answers `devpod version` (its version is
// reported, and a problem when it is not the tested Version), and DEVPOD_HOME could be made.
func (p *Provider) Check(ctx context.Context) providers.Readiness {
	var r providers.Readiness
	if err := p.ready(); err != nil {
		r.Problems = append(r.Problems, err.Error())
	}
	var out bytes.Buffer
	if err := p.run(ctx, call{home: p.cfg.Home, args: []string{"version"}, stdout: &out}); err != nil {
		r.Problems = append(r.Problems, err.Error())
	} else {
		r.Version = strings.TrimSpace(out.String())
		if strings.TrimPrefix(r.Version, "v") != strings.TrimPrefix(Version, "v") {
			r.Problems = append(r.Problems, "devpod "+r.Version+" is not the tested "+Version+": its output formats may differ")
		}
	}
	r.Ready = len(r.Problems) == 0
	return r
}
