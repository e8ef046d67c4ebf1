package devpod

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// source is what `devpod provider add` is given for b.
func (p *Provider) source(b *backend) string {
	if s := p.cfg.Sources[b.Type]; s != "" {
		return s
	}
	return b.Source
}

// addArgs is the `provider add` call for d: the required options only (devpod initializes
// the provider on add and fails without them); the rest go per workspace with `up`.
func (p *Provider) addArgs(d *desired) []string {
	req := map[string]string{}
	for _, r := range d.Backend.required {
		req[r.Option] = d.Options[r.Option]
	}
	return append([]string{"provider", "add", p.source(d.Backend), "--name", d.Backend.Provider}, optionArgs("-o", req)...)
}

// ensureProvider makes sure devpod's provider for d's backend is added in home, and that
// every option d passes is one the provider defines (devpod only warns about unknown options
// and goes on without them). `provider add` of an existing name fails, so the list is read
// first. Once checked, a provider is not listed again by this process.
func (p *Provider) ensureProvider(ctx context.Context, home string, d *desired, s *providers.Spec, r providers.Reporter) error {
	key := home + "\x00" + d.Backend.Provider
	p.mu.Lock()
	known, ok := p.ensured[key]
	p.mu.Unlock()
	if !ok {
		var err error
		if known, err = p.addProvider(ctx, home, d, s, r); err != nil {
			return err
		}
		p.mu.Lock()
		p.ensured[key] = known
		p.mu.Unlock()
	}
	var unknown []string
	for k := range d.Options {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("%s: devpod provider %s defines no option %s (its options: %s): %w", Name, d.Backend.Provider,
			strings.Join(unknown, ", "), strings.Join(slices.Sorted(maps.Keys(known)), ", "), providers.ErrInvalidSpec)
	}
	return nil
}

// addProvider adds the provider when the list lacks it and returns its option names.
func (p *Provider) addProvider(ctx context.Context, home string, d *desired, s *providers.Spec, r providers.Reporter) (map[string]bool, error) {
	names, err := p.jsonKeys(ctx, home, d, s, "provider", "list", "--output", "json")
	if err != nil {
		return nil, err
	}
	if !names[d.Backend.Provider] {
		err := p.run(ctx, call{home: home, backend: d.Backend, spec: s, args: p.addArgs(d), r: r})
		if err != nil {
			// Another executor process sharing the home may have added it meanwhile.
			again, lerr := p.jsonKeys(ctx, home, d, s, "provider", "list", "--output", "json")
			if lerr != nil || !again[d.Backend.Provider] {
				return nil, err
			}
		}
	}
	return p.jsonKeys(ctx, home, d, s, "provider", "options", d.Backend.Provider, "--output", "json")
}

// jsonKeys runs a devpod command whose output is a JSON object and returns its keys.
func (p *Provider) jsonKeys(ctx context.Context, home string, d *desired, s *providers.Spec, args ...string) (map[string]bool, error) {
	var out bytes.Buffer
	if err := p.run(ctx, call{home: home, backend: d.Backend, spec: s, args: args, stdout: &out}); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &m); err != nil {
		return nil, fmt.Errorf("%s: devpod %s: unreadable output: %w", Name, strings.Join(args[:2], " "), err)
	}
	keys := make(map[string]bool, len(m))
	for k := range m {
		keys[k] = true
	}
	return keys, nil
}
