package vm

import (
	"context"
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// imagesOnly reports a job whose config names a cloud where this provider makes no
// environments (only images): Status is notdeployed, Destroy has nothing to do, Stop and
// Start are ErrUnsupported naming what works.
func imagesOnly(s *providers.Spec) bool {
	return s.Config != nil && s.Config.Providers.Packer != nil && !deploys(s.Config.Providers.Packer.Cloud)
}

// located is an environment's instance and the client of its region.
type located struct {
	c      cloudAPI
	cloud  config.PackerCloud
	region string
	inst   *Instance // nil: none
	all    []Instance
}

// locate finds env's instances without config: in the handle's region, else the config's,
// else each region of Config.Regions. inst is the newest that is not shutting down.
func (p *Provider) locate(ctx context.Context, s *providers.Spec) (*located, error) {
	places, err := p.placesOf(s)
	if err != nil {
		return nil, err
	}
	var first *located
	for _, pl := range places {
		c, err := p.connect(s, pl.cloud, pl.region)
		if err != nil {
			return nil, err
		}
		found, err := observe(ctx, c, s.Env, readHandle(s).Instance)
		if err != nil {
			return nil, err
		}
		l := &located{c: c, cloud: pl.cloud, region: c.Region(), all: found}
		for i := len(found) - 1; i >= 0; i-- {
			if found[i].State != instTerminating {
				l.inst = &found[i]
				break
			}
		}
		if l.inst != nil || len(found) > 0 {
			return l, nil
		}
		if first == nil {
			first = l
		}
	}
	return first, nil
}

// stateKey is the Status detail holding the cloud's own state name.
func stateKey(cloud config.PackerCloud) string {
	if cloud == config.CloudAWS {
		return "ec2_state"
	}
	return string(cloud) + "_state"
}

// Status implements providers.Provider: the instance's state (pending is creating, stopping
// and stopped are stopped, shutting-down is destroying), its addresses and image. No
// instance is notdeployed.
func (p *Provider) Status(ctx context.Context, s *providers.Spec) (*providers.Status, error) {
	st := &providers.Status{Env: s.Env, Provider: Name, State: providers.StateNotDeployed}
	if imagesOnly(s) {
		return st, nil
	}
	l, err := p.locate(ctx, s)
	if err != nil {
		return nil, err
	}
	in := l.inst
	if in == nil && len(l.all) > 0 {
		in = &l.all[len(l.all)-1]
	}
	if in == nil {
		return st, nil
	}
	st.State, st.InstanceID, st.Image = stateOf(in.State), in.ID, in.ImageID
	launched := in.Launched
	st.Timestamps.CreatedAt = &launched
	st.Details = map[string]string{"region": l.region, "instance_type": in.Type, stateKey(l.cloud): in.CloudState}
	if in.Reason != "" {
		st.Details["state_reason"] = in.Reason
	}
	if in.PublicIP != "" {
		st.Addresses = append(st.Addresses, providers.Address{Type: providers.AddressExternal, Value: in.PublicIP},
			providers.Address{Type: providers.AddressSSH, Value: sshUser + "@" + in.PublicIP, Port: 22})
	}
	if in.PrivateIP != "" {
		st.Addresses = append(st.Addresses, providers.Address{Type: providers.AddressInternal, Value: in.PrivateIP})
	}
	return st, nil
}

// Stop implements providers.Provider: it stops the instance (its disk stays) and returns once
// the cloud says stopped. Stopping a stopped one succeeds; no instance is providers.ErrNotFound.
func (p *Provider) Stop(ctx context.Context, s *providers.Spec) error {
	if imagesOnly(s) {
		_, err := resolve(s)
		return err
	}
	l, err := p.locate(ctx, s)
	if err != nil {
		return err
	}
	if l.inst == nil {
		return fmt.Errorf("%s: stop %s: no instance: %w", Name, s.Env, providers.ErrNotFound)
	}
	in := l.inst
	switch in.State {
	case instStopped:
		return nil
	case instPending:
		if _, err := p.waitFor(ctx, l.c, in.ID, instRunning, s.Options.Timeout, nil); err != nil {
			return err
		}
	}
	if in.State != instStopping {
		if err := l.c.Stop(ctx, in.ID); err != nil {
			return fmt.Errorf("%s: stop instance %s: %w", Name, in.ID, err)
		}
	}
	_, err = p.waitFor(ctx, l.c, in.ID, instStopped, s.Options.Timeout, nil)
	return err
}

// Start implements providers.Provider: it starts a stopped instance and returns once it
// runs; starting a running one succeeds; no instance is providers.ErrNotFound. An instance
// that dies as it starts is ErrWorkloadFailed with the cloud's reason.
func (p *Provider) Start(ctx context.Context, s *providers.Spec) error {
	if imagesOnly(s) {
		_, err := resolve(s)
		return err
	}
	l, err := p.locate(ctx, s)
	if err != nil {
		return err
	}
	if l.inst == nil {
		return fmt.Errorf("%s: start %s: no instance: %w", Name, s.Env, providers.ErrNotFound)
	}
	in := l.inst
	switch in.State {
	case instRunning:
		return nil
	case instStopping:
		if _, err := p.waitFor(ctx, l.c, in.ID, instStopped, s.Options.Timeout, nil); err != nil {
			return err
		}
	}
	if in.State != instPending {
		if err := l.c.Start(ctx, in.ID); err != nil {
			return fmt.Errorf("%s: start instance %s: %w", Name, in.ID, err)
		}
	}
	_, err = p.waitFor(ctx, l.c, in.ID, instRunning, s.Options.Timeout, nil)
	return err
}

// destroyWait bounds Destroy's wait for terminated when the spec names no timeout.
const destroyWait = 10 * time.Minute

// Destroy implements providers.Provider: it terminates every instance of the environment
// (found by tag, and the handle's) and returns once the cloud says terminated; the root volume goes
// with it (DeleteOnTermination). Nothing there is success. The image stays (image-delete).
func (p *Provider) Destroy(ctx context.Context, s *providers.Spec) error {
	if imagesOnly(s) {
		return nil
	}
	l, err := p.locate(ctx, s)
	if err != nil {
		return err
	}
	if err := p.terminate(ctx, s, l); err != nil {
		return err
	}
	if sw, ok := l.c.(sweeper); ok {
		if err := sw.Sweep(ctx, s.Env); err != nil {
			return fmt.Errorf("%s: remove what is left of %s: %w", Name, s.Env, err)
		}
	}
	return nil
}

// terminate terminates l's instances and waits until they are gone.
func (p *Provider) terminate(ctx context.Context, s *providers.Spec, l *located) error {
	if len(l.all) == 0 {
		return nil
	}
	var ids []string
	for _, in := range l.all {
		ids = append(ids, in.ID)
	}
	if err := l.c.Terminate(ctx, ids...); err != nil && !isNotFound(err) {
		return fmt.Errorf("%s: terminate %v: %w", Name, ids, err)
	}
	timeout := s.Options.Timeout
	if timeout <= 0 {
		timeout = destroyWait
	}
	for _, id := range ids {
		if _, err := p.waitFor(ctx, l.c, id, instTerminated, timeout, nil); err != nil && !isNotFound(err) {
			return err
		}
	}
	return nil
}

// List implements providers.Lister: the instances carrying sindri's managed-by tag in each
// region of Config.Regions, with their tags (sindri.dev/expires-at among them), for the
// reaper. Credentials come from the executor's environment.
func (p *Provider) List(ctx context.Context) ([]providers.Managed, error) {
	var out []providers.Managed
	for _, pl := range p.listPlaces() {
		c, err := p.connect(nil, pl.cloud, pl.region)
		if err != nil {
			return nil, err
		}
		found, err := c.FindInstances(ctx, map[string]string{providers.LabelManagedBy: providers.ManagedByValue, LabelRole: RoleEnvironment})
		if err != nil {
			return nil, fmt.Errorf("%s: list instances in %s: %w", Name, pl.region, err)
		}
		for _, in := range found {
			if in.Tags[providers.LabelEnv] == "" {
				continue
			}
			out = append(out, providers.Managed{Env: in.Tags[providers.LabelEnv], State: stateOf(in.State), Labels: in.Tags})
		}
	}
	return out, nil
}
