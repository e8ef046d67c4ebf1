// Package githubtest is a stateful fake of the parts of the GitHub REST API sindri uses: issue
// comments (paginated, with Link headers), reactions, collaborator permissions, pull requests,
// deployments and deployment statuses. It checks every request's method, path, auth header and
// JSON body (required fields, known fields only, enums), counts requests per route, and can
// inject 429 with Retry-After, secondary rate limit 403s, 5xx and lost responses. Its fault,
// hold and counting machinery is internal/apifake's; this package holds GitHub's handlers and
// state.
package githubtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
)

// Routes, as counted by Count and targeted by Inject.
const (
	RouteListComments     = "GET /repos/{owner}/{repo}/issues/{number}/comments"
	RouteCreateComment    = "POST /repos/{owner}/{repo}/issues/{number}/comments"
	RouteEditComment      = "PATCH /repos/{owner}/{repo}/issues/comments/{id}"
	RouteCreateReaction   = "POST /repos/{owner}/{repo}/issues/comments/{id}/reactions"
	RoutePermission       = "GET /repos/{owner}/{repo}/collaborators/{user}/permission"
	RouteGetPull          = "GET /repos/{owner}/{repo}/pulls/{number}"
	RouteListDeployments  = "GET /repos/{owner}/{repo}/deployments"
	RouteCreateDeployment = "POST /repos/{owner}/{repo}/deployments"
	RouteCreateStatus     = "POST /repos/{owner}/{repo}/deployments/{id}/statuses"
	RouteListStatuses     = "GET /repos/{owner}/{repo}/deployments/{id}/statuses"
	RouteDeleteComment    = "DELETE /repos/{owner}/{repo}/issues/comments/{id}"
	RouteDeleteDeployment = "DELETE /repos/{owner}/{repo}/deployments/{id}"
)

// Fault is an injected misbehaviour for one request on a route.
type Fault struct {
	// Status, when non-zero, is answered instead of handling the request (429, 403, 5xx).
	Status int
	// RetryAfter is sent as the Retry-After header when non-empty.
	RetryAfter string
	// Secondary makes a 403 a secondary rate limit (its documentation_url).
	Secondary bool
	// Lost applies the request, then drops the connection without answering.
	Lost bool
}

// Comment is an issue comment held by the fake.
type Comment struct {
	ID     int64
	Issue  int
	User   string
	Body   string
	Edits  int
	Create time.Time
}

// PullRequest seeds a pull request.
type PullRequest struct {
	Number   int
	State    string // "open" when empty
	Draft    bool
	HeadSHA  string
	HeadRef  string
	HeadRepo string // empty: deleted fork
}

// Deployment is a deployment held by the fake, as it was requested.
type Deployment struct {
	ID                    int64
	Ref                   string
	Environment           string
	Description           string
	TransientEnvironment  *bool
	ProductionEnvironment *bool
	AutoMerge             *bool
	RequiredContexts      *[]string
}

// DeploymentStatus is a status held by the fake.
type DeploymentStatus struct {
	ID             int64
	State          string
	EnvironmentURL string
	LogURL         string
	Description    string
}

// Server is the fake. Create it with New; it is closed by t.Cleanup.
type Server struct {
	// URL is the API base URL to give the client.
	URL string
	// PerPage is the default page size of list endpoints (GitHub's is 30).
	PerPage int

	api    *apifake.Server
	owner  string
	repo   string
	tokens []string // accepted tokens: the first, and those AddToken added
	botLog string

	mu          sync.Mutex
	notModified map[string]int // 304s answered per route since the last ResetCounts
	// notModifiedTotal is the sum of notModified.
	notModifiedTotal int
	rate             *rateLimit // nil: no primary rate limit kept
	nextID           int64
	comments         []*Comment
	reactions        map[int64][]string
	perms            map[string][2]string
	pulls            map[int]PullRequest
	deployments      []*Deployment
	statuses         map[int64][]DeploymentStatus
}

// New starts a fake of repository owner/repo that accepts only token (and those AddToken adds). Shape violations fail
// t (and are answered 422 as GitHub would).
func New(t testing.TB, owner, repo, token string) *Server {
	t.Helper()
	s := &Server{owner: owner, repo: repo, tokens: []string{token}, botLog: "github-actions[bot]", PerPage: 30,
		nextID: 1000, notModified: map[string]int{}, reactions: map[int64][]string{}, perms: map[string][2]string{}, pulls: map[int]PullRequest{},
		statuses: map[int64][]DeploymentStatus{}}
	mux := http.NewServeMux()
	for route, h := range map[string]func(http.ResponseWriter, *http.Request) any{
		RouteListComments: s.listComments, RouteCreateComment: s.createComment, RouteEditComment: s.editComment,
		RouteCreateReaction: s.createReaction, RoutePermission: s.permission, RouteGetPull: s.getPull,
		RouteListDeployments: s.listDeployments, RouteCreateDeployment: s.createDeployment,
		RouteCreateStatus: s.createStatus, RouteListStatuses: s.listStatuses,
		RouteDeleteComment: s.deleteComment, RouteDeleteDeployment: s.deleteDeployment,
	} {
		mux.HandleFunc(route, s.wrap(route, h))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.violation("unexpected request %s %s", r.Method, r.URL.Path)
		apifake.WriteJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	})
	s.api = apifake.New(t, mux, apifake.WithName("githubtest"), apifake.WithRequestID("X-GitHub-Request-Id"),
		apifake.WithErrorBody(func(status int) any { return map[string]string{"message": http.StatusText(status)} }))
	s.URL = s.api.URL + "/"
	return s
}

func (s *Server) violation(format string, args ...any) { s.api.Violationf(format, args...) }

// apiError makes a handler answer status with GitHub's error shape.
type apiError struct {
	status int
	msg    string
}

// wrap applies auth, routing to this repo, JSON encoding and, on GETs, conditional requests
// (etag.go); counting, faults, holds and hooks are apifake's.
func (s *Server) wrap(route string, h func(http.ResponseWriter, *http.Request) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.api.CheckAuth(r, s.authHeaders()...) {
			apifake.WriteJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
			return
		}
		if r.PathValue("owner") != s.owner || r.PathValue("repo") != s.repo {
			apifake.WriteJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			return
		}
		if s.refuseExhausted(w) {
			return
		}
		v := h(w, r)
		if r.Method == http.MethodGet {
			if _, failed := v.(apiError); !failed {
				s.writeConditional(w, r, route, v)
				return
			}
		}
		s.spend(w, true)
		switch v := v.(type) {
		case apiError:
			apifake.WriteJSON(w, v.status, map[string]string{"message": v.msg})
		case created:
			apifake.WriteJSON(w, http.StatusCreated, v.v)
		case noContent:
			w.WriteHeader(http.StatusNoContent)
		default:
			apifake.WriteJSON(w, http.StatusOK, v)
		}
	}
}

// action is what apifake does to the request f is injected into.
func (f Fault) action() apifake.Action {
	switch {
	case f.Status != 0:
		a := apifake.Respond(f.Status, nil)
		if f.RetryAfter != "" {
			a.Header = http.Header{"Retry-After": {f.RetryAfter}}
		}
		if f.Secondary {
			a.Body = map[string]string{"message": "You have exceeded a secondary rate limit.",
				"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}
		}
		return a
	case f.Lost:
		return apifake.ApplyThenDrop()
	}
	return apifake.Action{}
}

type created struct{ v any }

// noContent makes a handler answer 204 with no body.
type noContent struct{}

// decode reads r's JSON body into v strictly (unknown fields are violations).
func (s *Server) decode(r *http.Request, v any) bool { return s.api.DecodeJSON(r, v) == nil }

func invalid(msg string) apiError { return apiError{http.StatusUnprocessableEntity, msg} }

var notFound = apiError{http.StatusNotFound, "Not Found"}

func (s *Server) id() int64 { s.nextID++; return s.nextID }

// paginate slices items per page/per_page and sets the Link header like GitHub.
func (s *Server) paginate(w http.ResponseWriter, r *http.Request, n int) (lo, hi int, bad bool) {
	q := r.URL.Query()
	per, page := s.PerPage, 1
	if v := q.Get("per_page"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 100 {
			s.violation("per_page %q out of range 1..100", v)
			return 0, 0, true
		}
		per = p
	}
	if v := q.Get("page"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 {
			s.violation("bad page %q", v)
			return 0, 0, true
		}
		page = p
	}
	last := max(1, (n+per-1)/per)
	link := func(p int, rel string) string {
		u := *r.URL
		u.Scheme, u.Host = "http", r.Host
		qq := u.Query()
		qq.Set("page", strconv.Itoa(p))
		qq.Set("per_page", strconv.Itoa(per))
		u.RawQuery = qq.Encode()
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	lo = min((page-1)*per, n)
	return lo, min(lo+per, n), false
}

func (s *Server) intPath(r *http.Request, name string) (int64, bool) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		s.violation("%s %s: path %s=%q is not a positive number", r.Method, r.URL.Path, name, r.PathValue(name))
		return 0, false
	}
	return v, true
}
