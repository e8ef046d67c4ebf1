package northflank

import (
	"context"
	"slices"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// handleVersion is the version of the handle this package writes:
// northflank/v1:{"project":..,"service":..,"volume":..,"ownProject":..}.
const handleVersion = 1

// handleState locates an environment without the config: the project (which a config may
// name and teardown never sees) and the service.
type handleState struct {
	Project    string `json:"project"`
	Service    string `json:"service"`
	Volume     string `json:"volume,omitempty"`
	OwnProject bool   `json:"ownProject,omitempty"`
}

func newHandle(st handleState) string {
	h, _ := providers.NewHandle(Name, handleVersion, st)
	return h
}

// handleOf reads s's handle; an absent, foreign or undecodable one is the zero state ("look
// again").
func handleOf(s *providers.Spec) handleState {
	var st handleState
	if s == nil || s.Handle == nil || s.Handle.Decode(Name, handleVersion, &st) != nil {
		return handleState{}
	}
	return st
}

// located is what locate found of an environment.
type located struct {
	project string
	// ownProject: the project is the environment's own (its description says so).
	ownProject bool
	// service is nil when the environment has no service (a cancelled deploy's leftovers).
	service *service
}

func (l *located) handle() handleState {
	st := handleState{Project: l.project, OwnProject: l.ownProject}
	if l.service != nil {
		st.Service = l.service.ID
	}
	return st
}

// ours reports whether service s is env's (tags, which labels win over the handle).
func ours(tags []string, n names) bool { return hasTags(tags, managedTag, n.envTag) }

// locate finds s's environment for the teardown verbs: in the handle's project, the
// config's project, or the environment's own project, the service carrying the
// environment's tags. With neither handle nor config (the reaper of a forgotten
// environment) it looks through every project the token sees, which costs a request per
// project. nil means absent.
func locate(ctx context.Context, a *api, s *providers.Spec) (*located, error) {
	tried := candidateProjects(s)
	l, err := locateIn(ctx, a, s, tried)
	if l != nil || err != nil || handleOf(s).Project != "" || configProject(s.Config) != "" {
		return l, err
	}
	all, err := a.listProjects(ctx)
	if err != nil {
		return nil, err
	}
	var rest []string
	for _, p := range all {
		if !slices.Contains(tried, p.ID) {
			rest = append(rest, p.ID)
		}
	}
	return locateIn(ctx, a, s, rest)
}

func locateIn(ctx context.Context, a *api, s *providers.Spec, projects []string) (*located, error) {
	n, h := namesFor("", s.Labels[providers.LabelRepo], s.Env), handleOf(s)
	for _, pid := range projects {
		proj, err := a.getProject(ctx, pid)
		if isGone(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		l := &located{project: pid, ownProject: pid == n.project && proj.Description == projectDescription(s.Env)}
		if pid == h.Project && h.Service != "" {
			svc, err := a.getService(ctx, pid, h.Service)
			switch {
			case err == nil && ours(svc.Tags, n):
				l.service = &svc
				return l, nil
			case err != nil && !isGone(err):
				return nil, err
			}
		}
		svcs, err := a.listServices(ctx, pid)
		if err != nil {
			return nil, err
		}
		for _, sv := range svcs {
			if ours(sv.Tags, n) {
				full, err := a.getService(ctx, pid, sv.ID)
				if err != nil {
					return nil, err
				}
				l.service = &full
				return l, nil
			}
		}
		if l.ownProject {
			return l, nil
		}
	}
	return nil, nil
}

// candidateProjects are the projects s's environment may live in: the handle's, the
// config's, and the environment's own.
func candidateProjects(s *providers.Spec) []string {
	own := namesFor("", s.Labels[providers.LabelRepo], s.Env).project
	var out []string
	for _, p := range []string{handleOf(s).Project, configProject(s.Config), own} {
		if p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func configProject(c *config.Config) string {
	if c == nil || c.Providers.Northflank == nil {
		return ""
	}
	return slug(c.Providers.Northflank.ProjectName)
}
