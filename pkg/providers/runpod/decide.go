package runpod

import (
	"context"
	"fmt"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// decision is what Deploy does, and what Plan shows: Plan and Deploy share decide and apply.
type decision struct {
	action providers.ActionType
	// pod is the environment's pod as observed (nil: none).
	pod *pod
	// replace: the pod is terminated and a new one created (a GPU, CPU or cloud change,
	// which RunPod cannot make in place, a failed pod, or Options.Force).
	replace bool
	// start: the pod is stopped and must be started (after an update, if any).
	start bool
	why   string
}

// decide observes env's pod and decides. Errors: the list error, or the two-pod refusal.
func decide(ctx context.Context, a api, d *desired, force bool) (decision, error) {
	cur, err := find(ctx, a, d.env)
	if err != nil {
		return decision{}, err
	}
	if cur == nil {
		return decision{action: providers.ActionCreate, why: "no pod named " + d.env + " carries " + envMarker + "=" + d.env}, nil
	}
	dec := decision{pod: cur}
	switch {
	case force:
		dec.action, dec.replace, dec.why = providers.ActionUpdate, true, "forced"
	case cur.Status == statusError:
		dec.action, dec.replace, dec.why = providers.ActionUpdate, true, "the pod is in ERROR"
	case shapeChanged(*cur, d.spec) != "":
		dec.action, dec.replace, dec.why = providers.ActionUpdate, true, shapeChanged(*cur, d.spec)+" cannot change in place"
	case cur.Env[envConfigHash] != d.hash:
		dec.action, dec.why = providers.ActionUpdate, "the config changed (the container is reset; "+d.spec.VolumePath+" is kept)"
		dec.start = cur.Status == statusExited
	case cur.Status == statusExited:
		dec.action, dec.start, dec.why = providers.ActionStart, true, "the pod is stopped"
	default:
		dec.action, dec.why = providers.ActionNone, "the pod is as specified"
	}
	return dec, nil
}

// shapeChanged names what differs between pod p and spec s that only a new pod can change.
func shapeChanged(p pod, s podSpec) string {
	switch {
	case s.GPU != nil && (p.GPUID != s.GPU.ID || p.GPUCount != s.GPU.Count):
		return fmt.Sprintf("the GPU (%d x %q to %d x %q)", p.GPUCount, p.GPUID, s.GPU.Count, s.GPU.ID)
	case s.GPU == nil && p.GPUID != "":
		return "a GPU pod to a CPU pod"
	case p.Cloud != "" && p.Cloud != s.Cloud:
		return fmt.Sprintf("the cloud (%s to %s)", p.Cloud, s.Cloud)
	}
	return ""
}

// apply makes the calls decision dec needs and returns the pod they leave (its id, at least)
// and whether this call created it. On a dry-run API it only records them.
func (p *Provider) apply(ctx context.Context, a api, dec decision, d *desired) (cur pod, created bool, err error) {
	if dec.pod != nil {
		cur = *dec.pod
	}
	if dec.replace {
		if err := a.terminate(ctx, cur.ID); err != nil && !isGone(err) {
			return cur, false, fmt.Errorf("runpod: replace pod %s: %w", cur.ID, err)
		}
	}
	switch {
	case dec.action == providers.ActionCreate || dec.replace:
		cur, err = create(ctx, a, d)
		return cur, err == nil, err
	case dec.action == providers.ActionUpdate:
		if _, err := a.update(ctx, cur.ID, d.spec); err != nil {
			return cur, false, fmt.Errorf("runpod: update pod %s: %w", cur.ID, explain(err, d.spec))
		}
	}
	if dec.start {
		if err := start(ctx, a, cur.ID, d.spec); err != nil {
			return cur, false, err
		}
	}
	return cur, false, nil
}

// create makes d's pod. A lost or failed answer is resolved by looking for the pod by name
// and marker before anything is sent again (a 5xx can follow a successful create).
func create(ctx context.Context, a api, d *desired) (pod, error) {
	var found *pod
	got, err := a.create(ctx, d.spec, func(ctx context.Context) (bool, error) {
		p, err := find(ctx, a, d.env)
		if err != nil || p == nil {
			return false, err
		}
		found = p
		return true, nil
	})
	if found != nil {
		return *found, nil
	}
	if err != nil {
		return pod{}, fmt.Errorf("runpod: create pod %s: %w", d.env, explain(err, d.spec))
	}
	return got, nil
}

// start asks a stopped pod to run. A host whose GPU was rented meanwhile refuses: that is
// ErrCapacity, said plainly.
func start(ctx context.Context, a api, id string, s podSpec) error {
	err := a.act(ctx, id, actionStart)
	if err == nil || isInvalidTransition(err) {
		return nil // 409: already running or starting; the wait observes which
	}
	if isCapacity(err) {
		return fmt.Errorf("runpod: no capacity to resume pod %s: its host has no free GPU now (the pod is tied to its machine); try again later, or destroy and deploy to get a new host: %w", id, err)
	}
	return fmt.Errorf("runpod: start pod %s: %w", id, explain(err, s))
}
