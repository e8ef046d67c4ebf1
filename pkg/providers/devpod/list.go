package devpod

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// List implements providers.Lister: the workspaces in this provider's DEVPOD_HOME that it
// recorded as made with the managed-by label, each with its labels and devpod's state.
// Errors: those of devpod list and status.
func (p *Provider) List(ctx context.Context) ([]providers.Managed, error) {
	if err := p.ready(); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := p.run(ctx, call{home: p.cfg.Home, args: []string{"list", "--output", "json", "--skip-pro"}, stdout: &out}); err != nil {
		return nil, err
	}
	var ws []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &ws); err != nil {
		return nil, fmt.Errorf("%s: devpod list: unreadable output: %w", Name, err)
	}
	var managed []providers.Managed
	for _, w := range ws {
		rec := readRecord(p.cfg.Home, w.ID)
		if rec == nil || rec.Labels[providers.LabelManagedBy] != providers.ManagedByValue {
			continue
		}
		st, err := p.status(ctx, p.cfg.Home, w.ID)
		if err != nil {
			return nil, err
		}
		managed = append(managed, providers.Managed{Env: rec.Env, State: st.state(), Labels: rec.Labels})
	}
	return managed, nil
}
