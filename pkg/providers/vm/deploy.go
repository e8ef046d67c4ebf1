package vm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// deploySteps is how many Progress steps Deploy reports.
const deploySteps = 5

// Deploy implements providers.Provider on the clouds with a connector: it finds the image built from this config (by
// its tags), builds it with packer when there is none, then finds the environment's instance
// by its tags and keeps, re-tags, starts or replaces it, or launches one, and returns once it
// runs. An instance that dies while starting is reported at once (ErrWorkloadFailed with
// the cloud's reason). Other clouds: ErrUnsupported naming what works.
func (p *Provider) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	if r == nil {
		r = providers.NopReporter{}
	}
	d, err := resolve(s)
	if err != nil {
		return nil, err
	}
	c, err := p.connect(s, d.cloud, d.region)
	if err != nil {
		return nil, err
	}
	// The connector may take the region from the executor (OCI_REGION): the handle records
	// where the instance really is.
	d.region = c.Region()
	var warnings []string
	if d.delivery, err = p.newDelivery(s, d.region); err != nil {
		return nil, err
	}
	d.secretsPath = p.secretsPath
	if w := d.delivery.skippedWarning(); w != "" {
		warnings = append(warnings, w)
	}
	r.Progress("finding the image "+d.pc.ImageName, 1, deploySteps)
	img, err := findImage(ctx, c, d.pc)
	if err != nil {
		return nil, err
	}
	if img == nil {
		if img, err = p.buildMissing(ctx, c, s, r); err != nil {
			return nil, err
		}
	}
	r.Progress("finding the instance of "+s.Env, 2, deploySteps)
	found, err := observe(ctx, c, s.Env, readHandle(s).Instance)
	if err != nil {
		return nil, err
	}
	changed, fresh := false, false
	var inst *Instance
	for i := range found {
		in := found[i]
		switch {
		case in.State == instTerminating:
			continue
		case inst == nil && in.ImageID == img.ID && in.Type == d.instanceType:
			inst = &found[i]
			continue
		}
		// A second instance (a launch whose answer was lost and was made again), or one of an
		// older image or another size: replaced, since neither changes in place.
		r.Log(fmt.Sprintf("terminating instance %s (image %s, %s): the environment runs %s on %s", in.ID, in.ImageID, in.Type, img.ID, d.instanceType))
		if err := c.Terminate(ctx, in.ID); err != nil && !isNotFound(err) {
			return nil, fmt.Errorf("%s: terminate instance %s: %w", Name, in.ID, err)
		}
		changed = true
	}
	r.Progress("launching or starting the instance", 3, deploySteps)
	switch {
	case inst == nil:
		if sw, ok := c.(sweeper); ok {
			// What an earlier launch cut short left (an Azure NIC) goes before a new one.
			if err := sw.Sweep(ctx, s.Env); err != nil {
				return nil, fmt.Errorf("%s: remove what an earlier launch of %s left: %w", Name, s.Env, err)
			}
		}
		launched, err := c.Create(ctx, createOf(d, img.ID, clientToken(s.Env)))
		if err != nil {
			err = fmt.Errorf("%s: launch the instance of %s: %w", Name, s.Env, err)
			if errors.Is(err, providers.ErrWorkloadFailed) {
				r.Log(err.Error()) // the cloud's reason: the instance did not come up
			}
			return nil, err
		}
		r.Log(fmt.Sprintf("launched instance %s (%s) from %s", launched.ID, d.instanceType, img.ID))
		inst, changed, fresh = launched, true, true
	default:
		if tagsDiffer(*inst, d.tags) {
			if err := c.SetTags(ctx, inst.ID, d.tags); err != nil {
				return nil, fmt.Errorf("%s: tag instance %s: %w", Name, inst.ID, err)
			}
			changed = true
		}
		if inst.State == instStopping {
			if _, err := p.waitFor(ctx, c, inst.ID, instStopped, s.Options.Timeout, r); err != nil {
				return nil, err
			}
			inst.State = instStopped
		}
		if inst.State == instStopped {
			if err := c.Start(ctx, inst.ID); err != nil {
				return nil, fmt.Errorf("%s: start instance %s: %w", Name, inst.ID, err)
			}
			changed = true
		}
	}
	r.Progress("waiting for instance "+inst.ID+" to run", 4, deploySteps)
	running, err := p.waitFor(ctx, c, inst.ID, instRunning, s.Options.Timeout, r)
	if err != nil {
		return nil, err
	}
	r.Progress("instance "+inst.ID+" is running", 5, deploySteps)
	wrote, w, err := p.deliverSecrets(ctx, c, running, d.delivery, fresh, s.Options.Timeout, r)
	if err != nil {
		return nil, err
	}
	if w != "" {
		warnings = append(warnings, w)
	}
	changed = changed || wrote
	conn := connection(running, d.region)
	return &providers.Deployment{Env: s.Env, Provider: Name, Handle: newHandle(d.cloud, c, running.ID),
		State: providers.StateRunning, Connection: conn, Changed: changed, Warnings: warnings,
		Messages: []string{fmt.Sprintf("instance %s (%s, image %s) runs in %s: %s", running.ID, running.Type, img.ID, d.region, conn.SSHCommand)}}, nil
}

// clientToken is a fresh idempotency token for env's launch (EC2 ClientToken, ...): the
// same for every retry of one launch call (the rest client resends the same request), new
// for each Deploy, which observes by tag before it launches.
func clientToken(env string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	if len(env) > 40 {
		env = env[:40]
	}
	return env + "-" + hex.EncodeToString(b)
}

// secretNames are the names of the secrets a spec asks to deliver.
func secretNames(s *providers.Spec) []string {
	var names []string
	for _, sv := range s.Secrets {
		names = append(names, sv.Name)
	}
	return names
}

// buildMissing builds the config's image with packer, since none exists, and returns it as
// the cloud lists it. Under the executor it holds the image's build lease (BuildLockKey) from
// before the build until the image is listed, and looks again once it has the lease: a
// deploy of another environment that built it meanwhile is the one build. When packer cannot
// run here the error says how to build it instead.
func (p *Provider) buildMissing(ctx context.Context, c cloudAPI, s *providers.Spec, r providers.Reporter) (*Image, error) {
	pc := s.Config.Providers.Packer
	if _, _, err := p.detect(ctx); err != nil {
		return nil, fmt.Errorf("%s: no image %s built from this config in %s (tags %s=%s, %s=%s), and it cannot be built in this job: %w; build it first with the image-build job (sindri-action local vm build --cloud %s), or install packer on the executor: %w",
			Name, pc.ImageName, c.Region(), LabelImage, pc.ImageName, LabelImageConfig, ImageConfigHash(pc), err, pc.Cloud, providers.ErrNotFound)
	}
	unlock, err := lockBuild(ctx, s, pc, r, 1, deploySteps)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if s.Locks != nil {
		// Another environment's deploy may have built it while this one waited.
		if img, err := findImage(ctx, c, pc); err != nil || img != nil {
			return img, err
		}
	}
	r.Log(fmt.Sprintf("no image %s built from this config in %s: building it with packer", pc.ImageName, c.Region()))
	built, err := p.build(ctx, s, r)
	if err != nil {
		return nil, fmt.Errorf("%s: build the missing image: %w", Name, err)
	}
	// A new image may be unknown to the cloud's listing for a moment.
	for attempt := 0; ; attempt++ {
		ims, err := c.FindImages(ctx, imageQuery{IDs: []string{built.ID}})
		if err == nil && len(ims) == 1 {
			return &ims[0], nil
		}
		if err != nil && !isNotFound(err) || attempt >= 10 {
			return nil, fmt.Errorf("%s: the image %s just built is not listed: %w", Name, built.ID, errors.Join(err, providers.ErrNotFound))
		}
		if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
			return nil, err
		}
	}
}
