package githubtest

import (
	"slices"
	"strconv"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
)

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// Inject queues faults for the next requests on route (one fault per request, in order).
func (s *Server) Inject(route string, faults ...Fault) {
	for _, f := range faults {
		s.api.Add(apifake.Rule{Route: route, Times: 1, Action: f.action()})
	}
}

// Count returns how many requests route has received (faulted ones included).
func (s *Server) Count(route string) int { return s.api.Count(route) }

// Counts returns a copy of the per-route request counts.
func (s *Server) Counts() map[string]int { return s.api.Counts() }

// Total returns the number of requests received, faulted and unexpected ones included.
func (s *Server) Total() int { return s.api.Total() }

// ResetCounts zeroes the request counts, the 304s included.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	clear(s.notModified)
	s.notModifiedTotal = 0
	s.mu.Unlock()
	s.api.ResetCounts()
}

// AddToken makes the fake accept tok too, as GitHub accepts each workflow job's new
// GITHUB_TOKEN: ETags are specific to the token that asked, so one kept from another token's
// answer never matches.
func (s *Server) AddToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = append(s.tokens, tok)
}

func (s *Server) authHeaders() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, t := range s.tokens {
		out = append(out, "Bearer "+t, "token "+t)
	}
	return out
}

// AddComment seeds a comment by user on issue or pull request issue and returns its id.
// Comments by users other than the token's bot cannot be edited (403), as on GitHub.
func (s *Server) AddComment(issue int, user, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if user == "" {
		user = s.botLog
	}
	c := &Comment{ID: s.id(), Issue: issue, User: user, Body: body, Create: time.Now()}
	s.comments = append(s.comments, c)
	return c.ID
}

// DeleteComment removes a comment, as a user deleting it would.
func (s *Server) DeleteComment(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.comments = slices.DeleteFunc(s.comments, func(c *Comment) bool { return c.ID == id })
}

// Comments returns copies of the comments on issue, oldest first.
func (s *Server) Comments(issue int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if c.Issue == issue {
			out = append(out, *c)
		}
	}
	return out
}

// Reactions returns the reactions on comment id, in the order they were added.
func (s *Server) Reactions(id int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reactions[id])
}

// SetPermission seeds user's collaborator permission: the legacy permission (admin, write,
// read, none) and the role_name (admin, maintain, write, triage, read or a custom role).
func (s *Server) SetPermission(user, permission, roleName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perms[user] = [2]string{permission, roleName}
}

// AddPull seeds a pull request.
func (s *Server) AddPull(pr PullRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pr.State == "" {
		pr.State = "open"
	}
	s.pulls[pr.Number] = pr
}

// Deployments returns copies of all deployments, oldest first.
func (s *Server) Deployments() []Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Deployment, len(s.deployments))
	for i, d := range s.deployments {
		out[i] = *d
	}
	return out
}

// Statuses returns deployment id's statuses, oldest first.
func (s *Server) Statuses(id int64) []DeploymentStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.statuses[id])
}

// Hold makes the next n requests on route wait until all n have arrived, then lets them all
// through: overlapping clients are made to overlap without timing. It is used once per route.
func (s *Server) Hold(route string, n int) { s.api.Hold(route, n) }

// Before runs fn when the next request on route arrives, before it is answered: a test can
// change the world at an exact point of a client's request sequence without timing. Calls
// queue: each request on route runs the next one.
func (s *Server) Before(route string, fn func()) { s.api.Before(route, fn) }
