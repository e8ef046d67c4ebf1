package githubtest

import (
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// commentJSON renders c as GitHub does, with the author's type (the token's bot is a Bot) and
// author_association (COLLABORATOR for users with a seeded permission, else NONE, as GitHub
// answers for outsiders and for github-actions[bot]). Callers hold s.mu.
func (s *Server) commentJSON(c *Comment) map[string]any {
	typ, assoc := "User", "NONE"
	if c.User == s.botLog {
		typ = "Bot"
	} else if _, ok := s.perms[c.User]; ok {
		assoc = "COLLABORATOR"
	}
	return map[string]any{"id": c.ID, "body": c.Body, "user": map[string]any{"login": c.User, "type": typ},
		"author_association": assoc,
		"html_url":           s.api.URL + "/comment/" + itoa(c.ID), "created_at": c.Create.Format(time.RFC3339)}
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request) any {
	n, ok := s.intPath(r, "number")
	if !ok {
		return notFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var mine []*Comment
	for _, c := range s.comments {
		if int64(c.Issue) == n {
			mine = append(mine, c)
		}
	}
	lo, hi, bad := s.paginate(w, r, len(mine))
	if bad {
		return invalid("bad pagination")
	}
	out := []map[string]any{}
	for _, c := range mine[lo:hi] {
		out = append(out, s.commentJSON(c))
	}
	return out
}

type commentBody struct {
	Body *string `json:"body"`
}

func (s *Server) checkBody(route string, b commentBody) (string, bool) {
	if b.Body == nil || *b.Body == "" {
		s.violation("%s: body is required", route)
		return "", false
	}
	if utf8.RuneCountInString(*b.Body) > 65536 {
		s.violation("%s: body longer than 65536 characters", route)
		return "", false
	}
	return *b.Body, true
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request) any {
	n, ok := s.intPath(r, "number")
	var b commentBody
	if !ok || !s.decode(r, &b) {
		return invalid("bad request")
	}
	body, ok := s.checkBody(RouteCreateComment, b)
	if !ok {
		return invalid("body is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Comment{ID: s.id(), Issue: int(n), User: s.botLog, Body: body, Create: time.Now()}
	s.comments = append(s.comments, c)
	return created{s.commentJSON(c)}
}

func (s *Server) editComment(w http.ResponseWriter, r *http.Request) any {
	id, ok := s.intPath(r, "id")
	var b commentBody
	if !ok || !s.decode(r, &b) {
		return invalid("bad request")
	}
	body, ok := s.checkBody(RouteEditComment, b)
	if !ok {
		return invalid("body is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.comments {
		if c.ID == id {
			if c.User != s.botLog {
				return apiError{http.StatusForbidden, "Resource not accessible by integration"}
			}
			c.Body = body
			c.Edits++
			return s.commentJSON(c)
		}
	}
	return notFound
}

var reactionContents = []string{"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}

func (s *Server) createReaction(w http.ResponseWriter, r *http.Request) any {
	id, ok := s.intPath(r, "id")
	var b struct {
		Content *string `json:"content"`
	}
	if !ok || !s.decode(r, &b) {
		return invalid("bad request")
	}
	if b.Content == nil || !slices.Contains(reactionContents, *b.Content) {
		s.violation("%s: content must be one of %v", RouteCreateReaction, reactionContents)
		return invalid("content is not included in the list")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.comments, func(c *Comment) bool { return c.ID == id }) {
		return notFound
	}
	out := map[string]any{"id": id*10 + int64(slices.Index(reactionContents, *b.Content)), "content": *b.Content}
	if slices.Contains(s.reactions[id], *b.Content) {
		return out // GitHub answers 200 with the existing reaction
	}
	s.reactions[id] = append(s.reactions[id], *b.Content)
	return created{out}
}

func (s *Server) permission(w http.ResponseWriter, r *http.Request) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.perms[r.PathValue("user")]
	if !ok {
		return notFound
	}
	return map[string]any{"permission": p[0], "role_name": p[1], "user": map[string]any{"login": r.PathValue("user")}}
}

func (s *Server) getPull(w http.ResponseWriter, r *http.Request) any {
	n, ok := s.intPath(r, "number")
	if !ok {
		return notFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pr, ok := s.pulls[int(n)]
	if !ok {
		return notFound
	}
	base := map[string]any{"full_name": s.owner + "/" + s.repo}
	var headRepo any
	if pr.HeadRepo != "" {
		headRepo = map[string]any{"full_name": pr.HeadRepo}
	}
	// As on GitHub, the pull request carries its comment count: a new comment changes it (and
	// its ETag).
	comments := 0
	for _, c := range s.comments {
		if int64(c.Issue) == n {
			comments++
		}
	}
	return map[string]any{"number": pr.Number, "state": pr.State, "draft": pr.Draft, "comments": comments,
		"head": map[string]any{"sha": pr.HeadSHA, "ref": pr.HeadRef, "repo": headRepo},
		"base": map[string]any{"ref": "main", "repo": base}}
}

func deploymentJSON(d *Deployment) map[string]any {
	return map[string]any{"id": d.ID, "ref": d.Ref, "environment": d.Environment, "description": d.Description,
		"transient_environment":  d.TransientEnvironment != nil && *d.TransientEnvironment,
		"production_environment": d.ProductionEnvironment != nil && *d.ProductionEnvironment}
}

func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request) any {
	env := r.URL.Query().Get("environment")
	s.mu.Lock()
	defer s.mu.Unlock()
	var sel []*Deployment
	for i := len(s.deployments) - 1; i >= 0; i-- { // newest first
		if d := s.deployments[i]; env == "" || d.Environment == env {
			sel = append(sel, d)
		}
	}
	lo, hi, bad := s.paginate(w, r, len(sel))
	if bad {
		return invalid("bad pagination")
	}
	out := []map[string]any{}
	for _, d := range sel[lo:hi] {
		out = append(out, deploymentJSON(d))
	}
	return out
}

func (s *Server) createDeployment(w http.ResponseWriter, r *http.Request) any {
	var b struct {
		Ref                   *string   `json:"ref"`
		Task                  *string   `json:"task"`
		AutoMerge             *bool     `json:"auto_merge"`
		RequiredContexts      *[]string `json:"required_contexts"`
		Payload               any       `json:"payload"`
		Environment           *string   `json:"environment"`
		Description           *string   `json:"description"`
		TransientEnvironment  *bool     `json:"transient_environment"`
		ProductionEnvironment *bool     `json:"production_environment"`
	}
	if !s.decode(r, &b) {
		return invalid("bad request")
	}
	if b.Ref == nil || *b.Ref == "" {
		s.violation("%s: ref is required", RouteCreateDeployment)
		return invalid("ref is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := &Deployment{ID: s.id(), Ref: *b.Ref, Environment: "production", AutoMerge: b.AutoMerge,
		RequiredContexts: b.RequiredContexts, TransientEnvironment: b.TransientEnvironment,
		ProductionEnvironment: b.ProductionEnvironment}
	if b.Environment != nil {
		d.Environment = *b.Environment
	}
	if b.Description != nil {
		d.Description = *b.Description
	}
	s.deployments = append(s.deployments, d)
	return created{deploymentJSON(d)}
}

var statusStates = []string{"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request) any {
	id, ok := s.intPath(r, "id")
	var b struct {
		State          *string `json:"state"`
		LogURL         *string `json:"log_url"`
		Description    *string `json:"description"`
		Environment    *string `json:"environment"`
		EnvironmentURL *string `json:"environment_url"`
		AutoInactive   *bool   `json:"auto_inactive"`
	}
	if !ok || !s.decode(r, &b) {
		return invalid("bad request")
	}
	if b.State == nil || !slices.Contains(statusStates, *b.State) {
		s.violation("%s: state must be one of %v", RouteCreateStatus, statusStates)
		return invalid("state is not included in the list")
	}
	if b.Description != nil && utf8.RuneCountInString(*b.Description) > 140 {
		s.violation("%s: description longer than 140 characters", RouteCreateStatus)
		return invalid("description is too long")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.deployments, func(d *Deployment) bool { return d.ID == id }) {
		return notFound
	}
	st := DeploymentStatus{ID: s.id(), State: *b.State}
	for dst, src := range map[*string]*string{&st.LogURL: b.LogURL, &st.Description: b.Description, &st.EnvironmentURL: b.EnvironmentURL} {
		if src != nil {
			*dst = *src
		}
	}
	s.statuses[id] = append(s.statuses[id], st)
	return created{map[string]any{"id": st.ID, "state": st.State, "environment_url": st.EnvironmentURL,
		"log_url": st.LogURL, "description": st.Description}}
}

func (s *Server) listStatuses(w http.ResponseWriter, r *http.Request) any {
	id, ok := s.intPath(r, "id")
	if !ok {
		return notFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sts := s.statuses[id]
	lo, hi, bad := s.paginate(w, r, len(sts))
	if bad {
		return invalid("bad pagination")
	}
	out := []map[string]any{}
	for i := len(sts) - 1 - lo; i >= len(sts)-hi; i-- { // newest first
		out = append(out, map[string]any{"id": sts[i].ID, "state": sts[i].State})
	}
	return out
}

func (s *Server) deleteComment(w http.ResponseWriter, r *http.Request) any {
	id, ok := s.intPath(r, "id")
	if !ok {
		return notFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range s.comments {
		if c.ID == id {
			if c.User != s.botLog {
				return apiError{http.StatusForbidden, "Resource not accessible by integration"}
			}
			s.comments = slices.Delete(s.comments, i, i+1)
			return noContent{}
		}
	}
	return notFound
}

// deleteDeployment removes a deployment; as on GitHub, one that is not inactive cannot be
// deleted while it is not the only one.
func (s *Server) deleteDeployment(w http.ResponseWriter, r *http.Request) any {
	id, ok := s.intPath(r, "id")
	if !ok {
		return notFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.deployments, func(d *Deployment) bool { return d.ID == id })
	if i < 0 {
		return notFound
	}
	sts := s.statuses[id]
	if len(s.deployments) > 1 && (len(sts) == 0 || sts[len(sts)-1].State != "inactive") {
		return invalid("We cannot delete an active deployment unless it is the only deployment in a given environment.")
	}
	s.deployments = slices.Delete(s.deployments, i, i+1)
	delete(s.statuses, id)
	return noContent{}
}
