package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sindri/deploy/v3/pkg/catalog"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// ArtifactManifests is the Plan artifact holding the manifests Deploy applies.
const ArtifactManifests = "manifests.yaml"

// Plan implements providers.Provider. It observes the cluster and takes the same decision
// Deploy would (decide); Calls are the requests Deploy would send, Artifacts["manifests.yaml"]
// the objects it would apply (secret values as <redacted>). When the executor has no
// kubeconfig, or the cluster cannot be reached, the plan is made as if nothing existed, with a
// warning: the manifests are still shown. It has no side effects. Errors: as Deploy's before
// any change, except those two.
func (p *Provider) Plan(ctx context.Context, s *providers.Spec) (*providers.Plan, error) {
	d, err := resolve(s)
	if err != nil {
		return nil, err
	}
	var warnings []string
	dc := &decision{step: stepCreate, why: "nothing observed", createNamespace: d.Namespace != "default"}
	k, err := p.client(s, "")
	if err == nil {
		var observed *decision
		if observed, err = decide(ctx, k, d, s.Options.Force); err == nil {
			dc = observed
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, providers.ErrAuth) || errors.Is(err, providers.ErrUnavailable):
		warnings = append(warnings, fmt.Sprintf("the cluster was not observed (%v): this plan assumes nothing of %s exists", err, d.Env))
	default:
		return nil, err
	}
	yaml, err := d.render(dc.createNamespace, true).yaml()
	if err != nil {
		return nil, err
	}
	return &providers.Plan{
		Provider:  Name,
		Actions:   planActions(d, dc),
		Resources: planResources(d),
		Calls:     planCalls(d, dc),
		Artifacts: map[string]string{ArtifactManifests: yaml},
		Warnings:  append(warnings, d.warnings...),
	}, nil
}

// planActions renders the decision.
func planActions(d *desired, dc *decision) []providers.PlannedAction {
	var out []providers.PlannedAction
	act := func(a providers.ActionType, res, desc string) {
		out = append(out, providers.PlannedAction{Action: a, Resource: res, Description: desc})
	}
	if dc.createNamespace {
		act(providers.ActionCreate, "namespace:"+d.Namespace, "it does not exist; Destroy deletes it again once no deployment is left in it")
	}
	dep := "deployment:" + d.Namespace + "/" + d.Env
	switch dc.step {
	case stepKeep:
		act(providers.ActionNone, dep, dc.why)
		return out
	case stepStart:
		act(providers.ActionStart, dep, dc.why+": scale to 1 through the scale subresource, then wait until available")
		return out
	}
	verb := providers.ActionCreate
	if dc.step == stepUpdate {
		verb = providers.ActionUpdate
	}
	m := d.render(false, true)
	for _, ref := range m.refs() {
		act(verb, ref.kind.Resource+":"+d.Namespace+"/"+ref.name, "server-side apply (field manager "+FieldManager+", forced): "+dc.why)
	}
	for _, ref := range dc.prune {
		act(providers.ActionDelete, ref.kind.Resource+":"+d.Namespace+"/"+ref.name, "labelled for "+d.Env+" but no longer desired")
	}
	return out
}

// planResources are the objects with their main settings (never a secret value).
func planResources(d *desired) []providers.PlannedResource {
	depCfg := map[string]any{"namespace": d.Namespace, "replicas": 1, "image": d.Image, "memory": d.Memory, "cpu": d.CPU, "strategy": "Recreate"}
	if d.GPU > 0 {
		depCfg[d.GPUResource] = d.GPU
		if len(d.GPUProducts) > 0 {
			depCfg["node_affinity"] = catalog.KubernetesGPUProductLabel + " in (" + strings.Join(d.GPUProducts, ", ") + ")"
		}
	}
	pvcCfg := map[string]any{"size": d.VolumeSize, "access_mode": "ReadWriteOnce"}
	if d.StorageClass != "" {
		pvcCfg["storage_class"] = d.StorageClass
	}
	out := []providers.PlannedResource{
		{ResourceType: "deployment", Name: d.Env, Config: depCfg},
		{ResourceType: "persistentvolumeclaim", Name: pvcName(d.Env), Config: pvcCfg},
		{ResourceType: "service", Name: serviceName(d.Env), Config: map[string]any{"type": "ClusterIP", "ssh": fmt.Sprintf("%d -> %d", servicePort, sshdPort)}},
	}
	if len(d.SecretNames) > 0 {
		out = append(out, providers.PlannedResource{ResourceType: "secret", Name: secretName(d.Env), Config: map[string]any{"keys": d.SecretNames}})
	}
	if d.Ingress != nil {
		out = append(out, providers.PlannedResource{ResourceType: "ingress", Name: ingressName(d.Env), Config: map[string]any{"host": d.Ingress.Host, "class": d.Ingress.Class}})
	}
	return out
}

// planCalls lists the requests Deploy would send, in order.
func planCalls(d *desired, dc *decision) []string {
	ns := d.Namespace
	calls := []string{"GET /api/v1/namespaces/" + ns}
	if !dc.createNamespace {
		calls = append(calls, "GET (metadata) each object of "+d.Env+" in "+ns, "LIST (metadata) objects labelled "+ownLabels(d.Env)+" in "+ns,
			"GET /apis/apps/v1/namespaces/"+ns+"/deployments/"+d.Env)
	}
	apply := func(path string) {
		calls = append(calls, "PATCH "+path+"?fieldManager="+FieldManager+"&force=true (application/apply-patch+yaml)")
	}
	switch dc.step {
	case stepStart:
		calls = append(calls, "GET /apis/apps/v1/namespaces/"+ns+"/deployments/"+d.Env+"/scale",
			"PUT /apis/apps/v1/namespaces/"+ns+"/deployments/"+d.Env+"/scale (replicas 1)")
	case stepCreate, stepUpdate:
		if dc.createNamespace {
			apply("/api/v1/namespaces/" + ns)
		}
		m := d.render(false, true)
		for _, ref := range m.refs() {
			group := "/api/v1"
			if ref.kind.Group != "" {
				group = "/apis/" + ref.kind.Group + "/" + ref.kind.Version
			}
			apply(group + "/namespaces/" + ns + "/" + ref.kind.Resource + "/" + ref.name)
		}
		for _, ref := range dc.prune {
			calls = append(calls, "DELETE "+ref.String()+" in "+ns)
		}
	}
	return append(calls, "GET /apis/apps/v1/namespaces/"+ns+"/deployments/"+d.Env+" and LIST its pods (until available, failing on a crash loop)")
}
