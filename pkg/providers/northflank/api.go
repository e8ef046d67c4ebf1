package northflank

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// api speaks Northflank REST v1: every success is {"data": ...} (lists add "pagination"),
// creates answer 200, ids are slugs of names, and a create whose slug is taken answers 409.
type api struct {
	c *rest.Client
}

// perPage is the largest page the API serves.
const perPage = 100

// do sends one request and unwraps the data envelope into out (nil: ignore the body).
func (a *api) do(ctx context.Context, req rest.Request, out any) (*pagination, error) {
	var env struct {
		Data       json.RawMessage `json:"data"`
		Pagination *pagination     `json:"pagination"`
	}
	if err := a.c.Do(ctx, req, &env); err != nil {
		return nil, err
	}
	if out != nil && len(env.Data) > 0 {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return nil, fmt.Errorf("northflank: %s: decode data: %w", req.Op, err)
		}
	}
	return env.Pagination, nil
}

// pages follows pagination.cursor until hasNextPage is false, calling page with each data;
// operation is the requests' metric name (rest.Request.Operation), op without identifiers.
func (a *api) pages(ctx context.Context, op, operation, path string, page func(json.RawMessage) error) error {
	cursor := ""
	for i := 0; ; i++ {
		q := url.Values{"per_page": {strconv.Itoa(perPage)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var raw json.RawMessage
		pg, err := a.do(ctx, rest.Request{Op: op, Operation: operation, Path: path, Query: q}, &raw)
		if err != nil {
			return err
		}
		if err := page(raw); err != nil {
			return fmt.Errorf("northflank: %s: %w", op, err)
		}
		if pg == nil || !pg.HasNextPage || pg.Cursor == "" || pg.Cursor == cursor || i > 1000 {
			return nil
		}
		cursor = pg.Cursor
	}
}

func projectPath(p string) string { return "projects/" + url.PathEscape(p) }

func servicePath(p, s string) string { return projectPath(p) + "/services/" + url.PathEscape(s) }

var deleteChildren = url.Values{"delete_child_objects": {"true"}}

func (a *api) getProject(ctx context.Context, id string) (project, error) {
	var out project
	_, err := a.do(ctx, rest.Request{Op: "get project " + id, Operation: "get project", Path: projectPath(id)}, &out)
	return out, err
}

// createProject makes a project; a taken slug (409) is answered with the existing one, for
// the caller to judge.
func (a *api) createProject(ctx context.Context, b projectBody) (project, error) {
	var out project
	_, err := a.do(ctx, rest.Request{Op: "create project " + b.Name, Operation: "create project", Method: http.MethodPost, Path: "projects", Body: b,
		Recover: a.exists(func(ctx context.Context) error { p, err := a.getProject(ctx, slug(b.Name)); out = p; return err })}, &out)
	if isConflict(err) {
		return existing(ctx, err, func(ctx context.Context) error { p, gerr := a.getProject(ctx, slug(b.Name)); out = p; return gerr }, &out)
	}
	return out, err
}

func (a *api) deleteProject(ctx context.Context, id string) error {
	_, err := a.do(ctx, rest.Request{Op: "delete project " + id, Operation: "delete project", Method: http.MethodDelete, Path: projectPath(id), Query: deleteChildren}, nil)
	return err
}

func (a *api) listProjects(ctx context.Context) ([]project, error) {
	var out []project
	err := a.pages(ctx, "list projects", "list projects", "projects", func(raw json.RawMessage) error {
		var d struct {
			Projects []project `json:"projects"`
		}
		err := json.Unmarshal(raw, &d)
		out = append(out, d.Projects...)
		return err
	})
	return out, err
}

func (a *api) getService(ctx context.Context, p, s string) (service, error) {
	var out service
	_, err := a.do(ctx, rest.Request{Op: "get service " + s, Operation: "get service", Path: servicePath(p, s)}, &out)
	return out, err
}

func (a *api) listServices(ctx context.Context, p string) ([]service, error) {
	var out []service
	err := a.pages(ctx, "list services of "+p, "list services", projectPath(p)+"/services", func(raw json.RawMessage) error {
		var d struct {
			Services []service `json:"services"`
		}
		err := json.Unmarshal(raw, &d)
		out = append(out, d.Services...)
		return err
	})
	return out, err
}

// createService makes a deployment service. A lost answer is resolved by a GET of the slug,
// and a taken slug (409) is answered with the existing service, for the caller to judge.
func (a *api) createService(ctx context.Context, p string, b serviceBody, secrets []string) (service, error) {
	var out service
	get := func(ctx context.Context) error { s, err := a.getService(ctx, p, slug(b.Name)); out = s; return err }
	_, err := a.do(ctx, rest.Request{Op: "create service " + b.Name, Operation: "create service", Method: http.MethodPost, Path: projectPath(p) + "/services/deployment",
		Body: b, Secrets: secrets, Recover: a.exists(get)}, &out)
	if isConflict(err) {
		return existing(ctx, err, get, &out)
	}
	return out, err
}

func (a *api) patchService(ctx context.Context, p, s string, b serviceSettings, secrets []string) error {
	_, err := a.do(ctx, rest.Request{Op: "update service " + s, Operation: "update service", Method: http.MethodPatch,
		Path: projectPath(p) + "/services/deployment/" + url.PathEscape(s), Body: b, Secrets: secrets, Idempotent: true}, nil)
	return err
}

func (a *api) deleteService(ctx context.Context, p, s string) error {
	_, err := a.do(ctx, rest.Request{Op: "delete service " + s, Operation: "delete service", Method: http.MethodDelete, Path: servicePath(p, s), Query: deleteChildren}, nil)
	return err
}

// pause and resume are idempotent in effect: pausing twice or a 409 on resume of a running
// service leave the state asked for, so they are retried like PUTs.
func (a *api) pause(ctx context.Context, p, s string) error {
	_, err := a.do(ctx, rest.Request{Op: "pause service " + s, Operation: "pause service", Method: http.MethodPost, Path: servicePath(p, s) + "/pause", Idempotent: true}, nil)
	return err
}

func (a *api) resume(ctx context.Context, p, s string) error {
	_, err := a.do(ctx, rest.Request{Op: "resume service " + s, Operation: "resume service", Method: http.MethodPost, Path: servicePath(p, s) + "/resume", Idempotent: true}, nil)
	return err
}

// listVolumes reads the project's volumes; data is a bare array here (B5).
func (a *api) listVolumes(ctx context.Context, p string) ([]volume, error) {
	var out []volume
	err := a.pages(ctx, "list volumes of "+p, "list volumes", projectPath(p)+"/volumes", func(raw json.RawMessage) error {
		var d []volume
		err := json.Unmarshal(raw, &d)
		out = append(out, d...)
		return err
	})
	return out, err
}

// createVolume makes a volume; a lost answer or a taken slug is resolved by listing.
func (a *api) createVolume(ctx context.Context, p string, b volumeBody) (volume, error) {
	var out volume
	find := func(ctx context.Context) error {
		vols, err := a.listVolumes(ctx, p)
		if err != nil {
			return err
		}
		for _, v := range vols {
			if v.ID == slug(b.Name) {
				out = v
				return nil
			}
		}
		return &providers.APIError{Provider: Name, Op: "find volume " + b.Name, Status: http.StatusNotFound}
	}
	_, err := a.do(ctx, rest.Request{Op: "create volume " + b.Name, Operation: "create volume", Method: http.MethodPost, Path: projectPath(p) + "/volumes",
		Body: b, Recover: a.exists(find)}, &out)
	if isConflict(err) {
		return existing(ctx, err, find, &out)
	}
	return out, err
}

func (a *api) deleteVolume(ctx context.Context, p, v string) error {
	_, err := a.do(ctx, rest.Request{Op: "delete volume " + v, Operation: "delete volume", Method: http.MethodDelete, Path: projectPath(p) + "/volumes/" + url.PathEscape(v)}, nil)
	return err
}

func (a *api) containers(ctx context.Context, p, s string) ([]container, error) {
	var d struct {
		Containers []container `json:"containers"`
	}
	_, err := a.do(ctx, rest.Request{Op: "list containers of " + s, Operation: "list containers", Path: servicePath(p, s) + "/containers"}, &d)
	return d.Containers, err
}

// logs returns the service's last n runtime log lines, oldest first.
func (a *api) logs(ctx context.Context, p, s string, n int) ([]string, error) {
	var d []logLine
	q := url.Values{"type": {"runtime"}, "queryType": {"range"}, "lineLimit": {strconv.Itoa(n)}, "direction": {"backward"}}
	if _, err := a.do(ctx, rest.Request{Op: "get logs of " + s, Operation: "get logs", Path: servicePath(p, s) + "/logs", Query: q}, &d); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(d))
	for i := len(d) - 1; i >= 0; i-- {
		out = append(out, d[i].Log)
	}
	return out, nil
}

// existing answers a create's 409 with the object of that slug (read by get into *out) and
// the 409 wrapped in errExists, for the caller to judge whose it is.
func existing[T any](ctx context.Context, conflict error, get func(context.Context) error, out *T) (T, error) {
	if err := get(ctx); err != nil {
		return *out, errors.Join(conflict, err)
	}
	return *out, &existsError{conflict}
}

// existsError is a create answered 409 whose object was read back; it unwraps to the 409.
type existsError struct{ conflict error }

func (e *existsError) Error() string { return e.conflict.Error() }
func (e *existsError) Unwrap() error { return e.conflict }

func isExists(err error) bool {
	var e *existsError
	return errors.As(err, &e)
}

// exists adapts a lookup to rest.Request.Recover: found when it succeeds, not found on 404.
func (a *api) exists(get func(context.Context) error) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		err := get(ctx)
		switch {
		case err == nil:
			return true, nil
		case isGone(err):
			return false, nil
		}
		return false, err
	}
}

func isGone(err error) bool { return errors.Is(err, providers.ErrNotFound) }

func isConflict(err error) bool {
	var ae *providers.APIError
	return errors.As(err, &ae) && ae.Status == http.StatusConflict
}
