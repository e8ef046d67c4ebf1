package northflanktest

import (
	"net/http"
	"slices"

	"github.com/sindri/deploy/v3/pkg/catalog"
)

func (f *Fake) projectView(p *Project, created bool) map[string]any {
	v := map[string]any{"id": p.ID, "name": p.Name, "description": p.Description}
	if created {
		v["region"] = p.Region // the create answer has it at the top ...
	} else {
		v["deployment"] = map[string]any{"region": p.Region} // ... GET under deployment (B2)
	}
	return v
}

func (f *Fake) listProjects(w http.ResponseWriter, r *http.Request) {
	unlock, ok := f.begin(w, r, nil)
	if !ok {
		return
	}
	defer unlock()
	ids := sortedKeys(f.projects)
	items := make([]any, len(ids))
	for i, id := range ids {
		p := f.projects[id]
		items[i] = map[string]any{"id": p.ID, "name": p.Name, "description": p.Description}
	}
	f.page(w, r, items, "projects", false)
}

func (f *Fake) createProject(w http.ResponseWriter, r *http.Request) {
	var req projectReq
	unlock, ok := f.begin(w, r, &req)
	if !ok {
		return
	}
	defer unlock()
	switch {
	case len(req.Name) < 3 || len(req.Name) > 39 || !nameRE.MatchString(req.Name):
		fail(w, http.StatusBadRequest, "invalid-body", `"name" must be 3 to 39 characters of letters, digits and single dashes or spaces, a letter first`)
		return
	case len(req.Description) > 200:
		fail(w, http.StatusBadRequest, "invalid-body", `"description" is longer than 200 characters`)
		return
	case req.Region != "" && !slices.Contains(catalog.NorthflankRegions, req.Region):
		fail(w, http.StatusBadRequest, "invalid-region", "region "+req.Region+" not found")
		return
	}
	id := slug(req.Name)
	if _, ok := f.projects[id]; ok {
		fail(w, http.StatusConflict, "conflict", "There is already a project with the same derived identifier")
		return
	}
	region := req.Region
	if region == "" {
		region = "europe-west"
	}
	p := &Project{ID: id, Name: req.Name, Description: req.Description, Region: region, UID: f.nextUID(),
		Services: map[string]*Service{}, Volumes: map[string]*Volume{}}
	f.projects[id] = p
	data(w, f.projectView(p, true))
}

// project finds {p}; nil after a 404.
func (f *Fake) project(w http.ResponseWriter, r *http.Request) *Project {
	p, ok := f.projects[r.PathValue("p")]
	if !ok {
		fail(w, http.StatusNotFound, "not-found", "Project not found")
		return nil
	}
	return p
}

func (f *Fake) getProject(w http.ResponseWriter, _ *http.Request, p *Project) {
	data(w, f.projectView(p, false))
}

func (f *Fake) deleteProject(w http.ResponseWriter, r *http.Request, p *Project) {
	if (len(p.Services) > 0 || len(p.Volumes) > 0) && r.URL.Query().Get("delete_child_objects") != "true" {
		fail(w, http.StatusConflict, "conflict", "The project couldn't be deleted as it has dependencies that have not been deleted")
		return
	}
	delete(f.projects, p.ID)
	data(w, map[string]any{})
}
