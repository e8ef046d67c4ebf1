package providers

import (
	"fmt"
	"sort"
	"sync"
)

// Registry maps provider names to implementations. The zero value is ready to use.
type Registry struct {
	mu sync.RWMutex
	m  map[string]Provider
}

// Register adds p under p.Name(). It returns an error when the name is taken.
func (r *Registry) Register(p Provider) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[string]Provider)
	}
	if _, ok := r.m[p.Name()]; ok {
		return fmt.Errorf("providers: %q registered twice", p.Name())
	}
	r.m[p.Name()] = p
	return nil
}

// Get returns the provider registered as name, or an error wrapping ErrUnknownProvider.
func (r *Registry) Get(name string) (Provider, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.m[name]
	if !ok {
		return nil, fmt.Errorf("providers: %q: %w (registered: %v)", name, ErrUnknownProvider, r.namesLocked())
	}
	return p, nil
}

// Names returns the registered names in sorted order.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.namesLocked()
}

func (r *Registry) namesLocked() []string {
	out := make([]string, 0, len(r.m))
	for n := range r.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
