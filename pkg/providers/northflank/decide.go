package northflank

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// observed is the environment as the platform shows it.
type observed struct {
	project *project
	service *service
	volume  *volume
	// foreign names an object of a derived name that is not ours ("service x"): Deploy
	// still sends the create, whose 409 gives the user the platform's answer.
	foreign []string
}

// observe reads the project, the service and (when one is wanted) the volume.
func observe(ctx context.Context, a *api, d *desired) (observed, error) {
	var o observed
	p, err := a.getProject(ctx, d.projectID)
	switch {
	case isGone(err):
		return o, nil
	case err != nil:
		return o, fmt.Errorf("northflank: observe project %s: %w", d.projectID, explain(err, d))
	}
	o.project = &p
	if d.ownProject && p.Description != projectDescription(d.env) {
		o.foreign = append(o.foreign, "project "+d.projectID)
	}
	svc, err := a.getService(ctx, d.projectID, slug(d.names.service))
	switch {
	case isGone(err):
	case err != nil:
		return o, fmt.Errorf("northflank: observe service %s: %w", d.names.service, explain(err, d))
	case ours(svc.Tags, d.names):
		o.service = &svc
	default:
		o.foreign = append(o.foreign, "service "+svc.ID)
	}
	if d.volume == nil {
		return o, nil
	}
	vols, err := a.listVolumes(ctx, d.projectID)
	if err != nil {
		return o, fmt.Errorf("northflank: observe volumes of %s: %w", d.projectID, explain(err, d))
	}
	for _, v := range vols {
		if v.ID != slug(d.volume.Name) {
			continue
		}
		if ours(v.Tags, d.names) {
			o.volume = &v
		} else {
			o.foreign = append(o.foreign, "volume "+v.ID)
		}
	}
	return o, nil
}

// decision is what Deploy does, and what Plan shows: Plan and Deploy share decide and apply.
type decision struct {
	obs           observed
	createProject bool
	createVolume  bool
	// action is the service's: create, update (PATCH in place), start (resume), none.
	action providers.ActionType
	// replace: the service is deleted and made again (Options.Force, or a FAILED rollout).
	replace bool
	// start: the service is paused and is resumed (after an update, if any).
	start bool
	why   string
}

// decide chooses from what observe saw.
func decide(o observed, d *desired, force bool) decision {
	dec := decision{obs: o, createProject: o.project == nil || slices.Contains(o.foreign, "project "+d.projectID)}
	dec.createVolume = d.volume != nil && o.volume == nil
	cur := o.service
	switch {
	case cur == nil:
		dec.action, dec.why = providers.ActionCreate, "no service "+d.names.service+" carries this environment's tags"
	case force:
		dec.action, dec.replace, dec.why = providers.ActionUpdate, true, "forced"
	case parseStatus(cur.Status.Deployment.Status) == statusFailed && !cur.ServicePaused:
		dec.action, dec.replace, dec.why = providers.ActionUpdate, true, "its last rollout FAILED"
	case !hasTags(cur.Tags, cfgTagPrefix+d.hash):
		dec.action, dec.why = providers.ActionUpdate, "the config changed (the service rolls out again; the volume is kept)"
		dec.start = cur.ServicePaused
	case cur.ServicePaused:
		dec.action, dec.start, dec.why = providers.ActionStart, true, "the service is paused"
	default:
		dec.action, dec.why = providers.ActionNone, "the service is as specified"
	}
	return dec
}

// made records what a Deploy call created or may have created, for its rollback.
type made struct {
	project, volume, service bool
}

// apply makes the calls dec needs and returns the service they leave. m says what this call
// created (or sent a create for). On a dry-run API it only records them.
func (p *Provider) apply(ctx context.Context, a *api, dec decision, d *desired, m *made) (service, error) {
	var cur service
	if dec.obs.service != nil {
		cur = *dec.obs.service
	}
	if dec.createProject {
		m.project = d.ownProject
		got, err := a.createProject(ctx, projectBody{Name: d.projectName(), Description: d.projectDescription(), Region: d.region})
		if err != nil && !isExists(err) {
			return cur, fmt.Errorf("northflank: ensure project %s: %w", d.projectID, explain(err, d))
		}
		if err != nil && d.ownProject && got.Description != projectDescription(d.env) {
			m.project = false
			return cur, fmt.Errorf("northflank: create project %s: %w", d.projectID, conflictError("project", d.projectID, "", errors.Unwrap(err)))
		}
	}
	if dec.replace {
		if err := a.deleteService(ctx, d.projectID, cur.ID); err != nil && !isGone(err) {
			return cur, fmt.Errorf("northflank: replace service %s: %w", cur.ID, err)
		}
	}
	if dec.createVolume {
		m.volume = true
		b := *d.volume
		if dec.obs.service != nil && !dec.replace {
			b.AttachedObjects = []nfObject{{ID: dec.obs.service.ID, Type: "service"}}
		}
		got, err := a.createVolume(ctx, d.projectID, b)
		if err != nil && !isExists(err) {
			return cur, fmt.Errorf("northflank: create volume %s: %w", b.Name, explain(err, d))
		}
		if err != nil && !ours(got.Tags, d.names) {
			m.volume = false
			return cur, fmt.Errorf("northflank: create volume %s: %w", b.Name, conflictError("volume", got.ID, " in project "+d.projectID, errors.Unwrap(err)))
		}
	}
	switch {
	case dec.action == providers.ActionCreate || dec.replace:
		m.service = true
		got, err := a.createService(ctx, d.projectID, d.body, d.secrets)
		if err != nil && !isExists(err) {
			return cur, fmt.Errorf("northflank: create service %s: %w", d.names.service, explain(err, d))
		}
		if err != nil && !ours(got.Tags, d.names) {
			m.service = false
			return cur, fmt.Errorf("northflank: create service %s: %w", d.names.service, conflictError("service", got.ID, " in project "+d.projectID, errors.Unwrap(err)))
		}
		if got.ID == "" {
			got.ID = slug(d.names.service) // a dry run decodes nothing
		}
		return got, nil
	case dec.action == providers.ActionUpdate:
		if err := a.patchService(ctx, d.projectID, cur.ID, d.body.serviceSettings, d.secrets); err != nil {
			return cur, fmt.Errorf("northflank: update service %s: %w", cur.ID, explain(err, d))
		}
	}
	if dec.start {
		if err := resume(ctx, a, d.projectID, cur.ID); err != nil {
			return cur, err
		}
	}
	return cur, nil
}

// resume asks a paused service to run; 409 means it is not paused, which is success.
func resume(ctx context.Context, a *api, project, id string) error {
	if err := a.resume(ctx, project, id); err != nil && !isConflict(err) {
		return fmt.Errorf("northflank: resume service %s: %w", id, explain(err, nil))
	}
	return nil
}

func (d *desired) projectName() string {
	if d.ownProject {
		return d.names.project
	}
	return d.userProject
}

func (d *desired) projectDescription() string {
	if d.ownProject {
		return projectDescription(d.env)
	}
	return "Sindri preview environments (named in sindri.yaml; sindri-deploy never deletes it)"
}
