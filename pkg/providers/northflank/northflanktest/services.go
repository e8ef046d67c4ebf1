package northflanktest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/catalog"
)

func (f *Fake) serviceView(p *Project, s *Service) map[string]any {
	ports := make([]any, len(s.Ports))
	for i, pt := range s.Ports {
		v := map[string]any{"id": pt.Name, "name": pt.Name, "internalPort": pt.InternalPort, "protocol": pt.Protocol, "public": pt.Public, "domains": []any{}}
		if pt.Public {
			v["dns"] = fmt.Sprintf("%s--%s--%s--abcd.code.run", pt.Name, s.ID, p.ID)
		}
		ports[i] = v
	}
	dep := map[string]any{"instances": s.Instances, "region": p.Region, "external": map[string]any{"imagePath": s.Image, "registryProvider": "dockerhub"}}
	if s.GPUType != "" {
		dep["gpu"] = map[string]any{"enabled": true, "configuration": map[string]any{"gpuType": s.GPUType, "gpuCount": s.GPUCount, "timesliced": false}}
	}
	return map[string]any{"id": s.ID, "appId": "/user/" + p.ID + "/" + s.ID, "projectId": p.ID, "name": s.Name,
		"description": s.Description, "tags": s.Tags, "serviceType": "deployment", "servicePaused": s.Paused,
		"billing": map[string]any{"deploymentPlan": s.Plan}, "deployment": dep, "ports": ports,
		"runtimeEnvironment": s.Env, "createdAt": s.CreatedAt, "updatedAt": s.UpdatedAt,
		"status": map[string]any{"deployment": map[string]any{"status": s.Status, "reason": "DEPLOYING", "lastTransitionTime": s.UpdatedAt}}}
}

func (f *Fake) listServices(w http.ResponseWriter, r *http.Request, p *Project) {
	ids := sortedKeys(p.Services)
	items := make([]any, len(ids))
	for i, id := range ids {
		s := p.Services[id]
		items[i] = map[string]any{"id": s.ID, "name": s.Name, "projectId": p.ID, "tags": s.Tags, "description": s.Description,
			"serviceType": "deployment", "status": map[string]any{"deployment": map[string]any{"status": s.Status}}}
	}
	f.page(w, r, items, "services", false)
}

// service finds {s} of {p}; nil after a 404.
func (f *Fake) service(w http.ResponseWriter, r *http.Request) (*Project, *Service) {
	p := f.project(w, r)
	if p == nil {
		return nil, nil
	}
	s, ok := p.Services[r.PathValue("s")]
	if !ok {
		fail(w, http.StatusNotFound, "not-found", "Service not found")
		return nil, nil
	}
	return p, s
}

// rollout starts a new rollout of s.
func (f *Fake) rollout(s *Service) {
	s.Status, s.Polls, s.UpdatedAt = Pending, 0, time.Now()
}

// advance takes s one step through the status machine once it has been seen RolloutPolls
// times in its state.
func (f *Fake) advance(s *Service) {
	if s.Paused {
		return
	}
	s.Polls++
	if s.Polls > f.RolloutPolls {
		if n := next(s.Status, s.Image == CrashImage); n != s.Status {
			s.Status, s.Polls = n, 0
		}
	}
}

func (f *Fake) getService(w http.ResponseWriter, r *http.Request, p *Project, s *Service) {
	f.advance(s)
	data(w, f.serviceView(p, s))
}

func (f *Fake) createService(w http.ResponseWriter, r *http.Request) {
	var req serviceReq
	unlock, ok := f.begin(w, r, &req)
	if !ok {
		return
	}
	defer unlock()
	p := f.project(w, r)
	if p == nil {
		return
	}
	if len(req.Name) < 3 || len(req.Name) > 54 || !nameRE.MatchString(req.Name) {
		fail(w, http.StatusBadRequest, "invalid-body", `"name" must be 3 to 54 characters of letters, digits and single dashes or spaces, a letter first`)
		return
	}
	id := slug(req.Name)
	if _, ok := p.Services[id]; ok {
		fail(w, http.StatusConflict, "conflict", "There is already a service with the same derived identifier")
		return
	}
	if f.QuotaExceeded {
		fail(w, http.StatusPaymentRequired, "insufficient-credits", "Your team has insufficient credits to create this service")
		return
	}
	s := &Service{ID: id, Name: req.Name, UID: f.nextUID(), CreatedAt: time.Now()}
	var attach []*Volume
	if req.CreateOptions != nil {
		for _, vid := range req.CreateOptions.VolumesToAttach {
			v, ok := p.Volumes[vid]
			if !ok || v.AttachedTo != "" {
				fail(w, http.StatusBadRequest, "invalid-body", "volume "+vid+" does not exist or is attached elsewhere")
				return
			}
			attach = append(attach, v)
		}
	}
	if status, code, msg := f.apply(p, s, req, len(attach) > 0, true); status != 0 {
		fail(w, status, code, msg)
		return
	}
	for _, v := range attach {
		v.AttachedTo = s.ID
	}
	p.Services[id] = s
	f.rollout(s)
	data(w, f.serviceView(p, s))
}

func (f *Fake) patchService(w http.ResponseWriter, r *http.Request) {
	var req serviceReq
	unlock, ok := f.begin(w, r, &req)
	if !ok {
		return
	}
	defer unlock()
	p, s := f.service(w, r)
	if s == nil {
		return
	}
	if req.Name != "" || req.CreateOptions != nil {
		f.API.Violationf("PATCH %s: name and createOptions are create-only", r.URL.Path)
	}
	hasVolume := slices.ContainsFunc(mapValues(p.Volumes), func(v *Volume) bool { return v.AttachedTo == s.ID })
	next := *s
	if status, code, msg := f.apply(p, &next, req, hasVolume, false); status != 0 {
		fail(w, status, code, msg)
		return
	}
	*s = next
	f.rollout(s)
	data(w, f.serviceView(p, s))
}

func mapValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// apply validates req and writes it into s. create requires the fields create requires;
// a patch changes only what it names. It returns a non-zero status to refuse.
func (f *Fake) apply(p *Project, s *Service, req serviceReq, hasVolume, create bool) (int, string, string) {
	bad := func(msg string) (int, string, string) { return http.StatusBadRequest, "invalid-body", msg }
	if create && (req.Billing == nil || req.Deployment == nil) {
		return bad(`"billing" and "deployment" are required`)
	}
	if req.Description != nil {
		if len(*req.Description) > 200 || (*req.Description != "" && !descRE.MatchString(*req.Description)) {
			return bad(`"description" must be at most 200 characters of the allowed set`)
		}
		s.Description = *req.Description
	}
	for _, t := range req.Tags {
		if len(t) < 3 || len(t) > 100 || !tagRE.MatchString(t) {
			return bad("tag " + t + " is not valid")
		}
	}
	if req.Tags != nil {
		s.Tags = req.Tags
	}
	if d := req.Deployment; d != nil {
		switch {
		case d.Instances == nil:
			return bad(`"deployment.instances" is required`)
		case d.External == nil || d.External.ImagePath == "":
			return bad(`"deployment.external.imagePath" is required`)
		case d.External.ImagePath == UnverifiableImage:
			return bad("Unable to verify external image")
		case d.Docker == nil || d.Docker.ConfigType == "":
			return bad(`"deployment.docker.configType" is required`)
		}
		s.Instances, s.Image = *d.Instances, d.External.ImagePath
		s.GPUType, s.GPUCount = "", 0
		if d.GPU != nil && d.GPU.Enabled && d.GPU.Configuration != nil {
			s.GPUType, s.GPUCount = d.GPU.Configuration.GPUType, max(d.GPU.Configuration.GPUCount, 1)
		}
	}
	if b := req.Billing; b != nil {
		s.Plan = b.DeploymentPlan
	}
	if s.GPUType != "" {
		g, ok := catalog.NorthflankGPUTypeByID(s.GPUType)
		switch {
		case !ok:
			return bad("unknown gpuType " + s.GPUType)
		case !slices.Contains(g.Counts, s.GPUCount):
			return bad(fmt.Sprintf("gpuCount %d is not allowed for %s", s.GPUCount, s.GPUType))
		case s.Plan != fmt.Sprintf("nf-gpu-%s-%dg", s.GPUType, s.GPUCount):
			return bad("deploymentPlan " + s.Plan + " does not match the GPU configuration")
		case !slices.Contains(g.Regions, p.Region):
			return bad(fmt.Sprintf("%s GPUs are not available in region %s", s.GPUType, p.Region))
		}
	} else if !slices.Contains(planIDs, s.Plan) {
		return bad("deploymentPlan " + s.Plan + " does not exist")
	}
	if req.Ports != nil {
		for _, pt := range req.Ports {
			switch {
			case len(pt.Name) < 1 || len(pt.Name) > 8 || !portRE.MatchString(pt.Name):
				return bad("port name " + pt.Name + " must be 1 to 8 characters")
			case !slices.Contains([]string{"HTTP", "HTTP/2", "TCP", "UDP"}, pt.Protocol):
				return bad("port protocol " + pt.Protocol + " is not one of HTTP, HTTP/2, TCP, UDP")
			case pt.Public && pt.Protocol != "HTTP" && pt.Protocol != "HTTP/2":
				return bad("only HTTP and HTTP/2 ports can be public")
			}
		}
		s.Ports = req.Ports
	}
	for _, h := range req.HealthChecks {
		switch {
		case !slices.Contains([]string{"HTTP", "CMD", "TCP"}, h.Protocol), !slices.Contains([]string{"livenessProbe", "readinessProbe", "startupProbe"}, h.Type):
			return bad("health check protocol or type is not valid")
		case h.InitialDelaySeconds == nil || h.PeriodSeconds == nil || h.TimeoutSeconds == nil || h.FailureThreshold == nil:
			return bad("health checks need initialDelaySeconds, periodSeconds, timeoutSeconds and failureThreshold")
		case h.Protocol == "HTTP" && (h.Path == "" || h.Port == 0), h.Protocol == "CMD" && h.Cmd == "":
			return bad("an HTTP health check needs path and port, a CMD one cmd")
		}
	}
	if req.HealthChecks != nil {
		s.HealthChecks = len(req.HealthChecks)
	}
	if req.Autoscaling != nil {
		s.Autoscaling = req.Autoscaling.Horizontal
	}
	if a := s.Autoscaling; a != nil && a.Enabled && (a.MinReplicas < 1 || a.MaxReplicas < a.MinReplicas) {
		return bad("autoscaling needs 1 <= minReplicas <= maxReplicas")
	}
	if hasVolume && (s.Instances > 1 || s.Autoscaling != nil && s.Autoscaling.Enabled) {
		return bad("a service with a ReadWriteOnce volume runs one instance: set instances to 1 and disable autoscaling")
	}
	if req.RuntimeEnvironment != nil {
		s.Env = req.RuntimeEnvironment
	}
	for p := range req.RuntimeFiles {
		if !strings.HasPrefix(p, "/") {
			return bad("runtime file paths must be absolute")
		}
	}
	s.UpdatedAt = time.Now()
	return 0, "", ""
}

func (f *Fake) deleteService(w http.ResponseWriter, r *http.Request, p *Project, s *Service) {
	children := r.URL.Query().Get("delete_child_objects") == "true"
	for id, v := range p.Volumes {
		if v.AttachedTo != s.ID {
			continue
		}
		if children {
			delete(p.Volumes, id)
		} else {
			v.AttachedTo = ""
		}
	}
	delete(p.Services, s.ID)
	data(w, map[string]any{})
}

func (f *Fake) pause(w http.ResponseWriter, _ *http.Request, _ *Project, s *Service) {
	s.Paused = true
	data(w, map[string]any{})
}

func (f *Fake) resume(w http.ResponseWriter, r *http.Request) {
	var req *resumeReq
	if r.ContentLength > 0 {
		req = &resumeReq{}
	}
	var body any
	if req != nil {
		body = req
	}
	unlock, ok := f.begin(w, r, body)
	if !ok {
		return
	}
	defer unlock()
	_, s := f.service(w, r)
	switch {
	case s == nil:
	case !s.Paused:
		fail(w, http.StatusConflict, "conflict", "The service could not be resumed as it is not paused")
	default:
		s.Paused = false
		if req != nil && req.Instances != nil {
			s.Instances = *req.Instances
		}
		f.rollout(s)
		data(w, map[string]any{})
	}
}

func (f *Fake) containers(w http.ResponseWriter, r *http.Request, _ *Project, s *Service) {
	cs := []any{}
	if !s.Paused {
		for i := range max(s.Instances, 1) {
			cs = append(cs, map[string]any{"name": fmt.Sprintf("%s-%d", s.ID, i), "createdAt": s.UpdatedAt.Unix(),
				"status": containerStatus(s.Status, s.Image == CrashImage)})
		}
	}
	data(w, map[string]any{"containers": cs})
}

func (f *Fake) logs(w http.ResponseWriter, r *http.Request, _ *Project, s *Service) {
	lines := []string{"server listening"}
	if s.Image == CrashImage {
		lines = CrashLogs
		if v, ok := s.Env["CRASH_PRINTS"]; ok {
			lines = append([]string{"env CRASH_PRINTS=" + v}, lines...)
		}
	}
	out := []any{} // newest first: the provider asks direction=backward
	for i := len(lines) - 1; i >= 0; i-- {
		out = append(out, map[string]any{"containerId": s.ID + "-0", "log": lines[i], "ts": time.Now().Format(time.RFC3339Nano)})
	}
	data(w, out)
}
