package northflanktest

import (
	"net/http"
	"path"
)

func volumeView(v *Volume) map[string]any {
	attached := []any{}
	if v.AttachedTo != "" {
		attached = append(attached, map[string]any{"id": v.AttachedTo, "type": "service"})
	}
	return map[string]any{"id": v.ID, "name": v.Name, "tags": v.Tags, "status": "BOUND", "attachedObjects": attached,
		"spec":   map[string]any{"accessMode": "ReadWriteOnce", "storageSize": v.SizeMB},
		"mounts": []any{map[string]any{"containerMountPath": v.MountPath}}}
}

func (f *Fake) listVolumes(w http.ResponseWriter, r *http.Request, p *Project) {
	ids := sortedKeys(p.Volumes)
	items := make([]any, len(ids))
	for i, id := range ids {
		items[i] = volumeView(p.Volumes[id])
	}
	f.page(w, r, items, "", true)
}

func (f *Fake) createVolume(w http.ResponseWriter, r *http.Request) {
	var req volumeReq
	unlock, ok := f.begin(w, r, &req)
	if !ok {
		return
	}
	defer unlock()
	p := f.project(w, r)
	if p == nil {
		return
	}
	if msg := validVolume(req); msg != "" {
		fail(w, http.StatusBadRequest, "invalid-body", msg)
		return
	}
	id := slug(req.Name)
	if _, ok := p.Volumes[id]; ok {
		fail(w, http.StatusConflict, "conflict", "There is already a volume with the same derived identifier")
		return
	}
	v := &Volume{ID: id, Name: req.Name, Tags: req.Tags, SizeMB: req.Spec.StorageSize, MountPath: req.Mounts[0].ContainerMountPath, UID: f.nextUID()}
	for _, o := range req.AttachedObjects {
		s, ok := p.Services[o.ID]
		switch {
		case o.Type != "service" || !ok:
			fail(w, http.StatusNotFound, "not-found", "attached object "+o.ID+" not found")
			return
		case s.Instances > 1 || s.Autoscaling != nil && s.Autoscaling.Enabled:
			fail(w, http.StatusBadRequest, "invalid-body", "a ReadWriteOnce volume can be attached only to a service of one instance")
			return
		}
		v.AttachedTo = s.ID
		f.rollout(s) // attaching redeploys the service
	}
	p.Volumes[id] = v
	data(w, volumeView(v))
}

func validVolume(req volumeReq) string {
	switch {
	case len(req.Name) < 3 || len(req.Name) > 39 || !nameRE.MatchString(req.Name):
		return `"name" must be 3 to 39 characters`
	case req.Spec == nil || req.Spec.StorageSize <= 0:
		return `"spec.storageSize" (MB) is required`
	case req.Spec.AccessMode != "ReadWriteOnce" && req.Spec.AccessMode != "ReadWriteMany":
		return `"spec.accessMode" must be ReadWriteOnce or ReadWriteMany`
	case len(req.Mounts) == 0 || !path.IsAbs(req.Mounts[0].ContainerMountPath):
		return `"mounts[0].containerMountPath" must be an absolute path`
	}
	for _, t := range req.Tags {
		if len(t) < 3 || len(t) > 100 || !tagRE.MatchString(t) {
			return "tag " + t + " is not valid"
		}
	}
	return ""
}

func (f *Fake) deleteVolume(w http.ResponseWriter, r *http.Request, p *Project) {
	v, ok := p.Volumes[r.PathValue("v")]
	switch {
	case !ok:
		fail(w, http.StatusNotFound, "not-found", "Volume not found")
	case v.AttachedTo != "":
		fail(w, http.StatusConflict, "conflict", "The volume must be detached from service "+v.AttachedTo+" before it can be deleted")
	default:
		delete(p.Volumes, v.ID)
		data(w, map[string]any{})
	}
}
