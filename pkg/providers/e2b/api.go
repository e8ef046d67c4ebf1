package e2b

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// api is the E2B REST surface the provider uses. Every POST but the sandbox create is safe
// to send twice (timeout sets an absolute end, pause of a paused sandbox is a 409 taken as
// success, connect of a running one extends it, a second build request only registers
// another waiting build of the same template), so the client retries them; the create is
// resolved by looking for the sandbox by metadata (Recover), never sent blind again.
type api struct {
	c *rest.Client
}

// listSandboxes returns every sandbox, running or paused, whose metadata holds all of meta.
// The filter is one `metadata` parameter holding an encoded k=v&k=v string.
func (a *api) listSandboxes(ctx context.Context, meta map[string]string) ([]sandbox, error) {
	filter := url.Values{}
	for k, v := range meta {
		filter.Set(k, v)
	}
	return paginate[sandbox](ctx, a.c, "list sandboxes", "v2/sandboxes", url.Values{"metadata": {filter.Encode()}})
}

// paginate reads every page of a listing, following X-Next-Token, 100 items a page. op is
// also the requests' metric name (rest.Request.Operation), so it holds no identifier.
func paginate[T any](ctx context.Context, c *rest.Client, op, path string, q url.Values) ([]T, error) {
	var out []T
	next := ""
	for {
		pq := url.Values{"limit": {"100"}}
		for k, v := range q {
			pq[k] = v
		}
		if next != "" {
			pq.Set("nextToken", next)
		}
		var page []T
		var reply rest.Reply
		if err := c.Do(ctx, rest.Request{Op: op, Operation: op, Path: path, Query: pq, Reply: &reply}, &page); err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next = reply.Header.Get("X-Next-Token"); next == "" || len(page) == 0 {
			return out, nil
		}
	}
}

func sandboxPath(id string, rest ...string) string {
	p := "sandboxes/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// getSandbox returns one sandbox; a sandbox that is gone (or being killed) matches ErrNotFound.
func (a *api) getSandbox(ctx context.Context, id string) (sandbox, error) {
	var sb sandbox
	err := a.c.Do(ctx, rest.Request{Op: "get sandbox " + id, Operation: "get sandbox", Path: sandboxPath(id)}, &sb)
	return sb, err
}

// createSandbox creates a sandbox. recover is asked, after an answer that was lost or
// ambiguous, whether the sandbox exists after all.
func (a *api) createSandbox(ctx context.Context, body newSandbox, secrets []string, recover func(context.Context) (bool, error)) (createdSandbox, error) {
	var out createdSandbox
	err := a.c.Do(ctx, rest.Request{Op: "create sandbox", Operation: "create sandbox", Method: http.MethodPost, Path: "sandboxes", Body: body,
		Secrets: secrets, Recover: recover}, &out)
	return out, err
}

// setTimeout sets the sandbox's end to now + seconds (capped by the plan, silently).
func (a *api) setTimeout(ctx context.Context, id string, seconds int) error {
	return a.c.Do(ctx, rest.Request{Op: "set timeout of sandbox " + id, Operation: "set sandbox timeout", Method: http.MethodPost, Path: sandboxPath(id, "timeout"),
		Body: map[string]int{"timeout": seconds}, Idempotent: true}, nil)
}

// pause pauses a running sandbox; a paused one (409) is success.
func (a *api) pause(ctx context.Context, id string) error {
	err := a.c.Do(ctx, rest.Request{Op: "pause sandbox " + id, Operation: "pause sandbox", Method: http.MethodPost, Path: sandboxPath(id, "pause"), Idempotent: true}, nil)
	if isConflict(err) {
		return nil
	}
	return err
}

// connect resumes a paused sandbox (201) or extends a running one (200) to now + seconds.
func (a *api) connect(ctx context.Context, id string, seconds int) (createdSandbox, error) {
	var out createdSandbox
	err := a.c.Do(ctx, rest.Request{Op: "connect sandbox " + id, Operation: "connect sandbox", Method: http.MethodPost, Path: sandboxPath(id, "connect"),
		Body: map[string]int{"timeout": seconds}, Idempotent: true}, &out)
	return out, err
}

// resume resumes a paused sandbox with autoPause overridden: the one call that changes a
// sandbox's lifecycle in place. A running sandbox (409) is success.
func (a *api) resume(ctx context.Context, id string, seconds int, autoPause bool) error {
	err := a.c.Do(ctx, rest.Request{Op: "resume sandbox " + id, Operation: "resume sandbox", Method: http.MethodPost, Path: sandboxPath(id, "resume"),
		Body: map[string]any{"timeout": seconds, "autoPause": autoPause}, Idempotent: true}, nil)
	if isConflict(err) {
		return nil
	}
	return err
}

// kill removes a sandbox, running or paused; one already gone is success.
func (a *api) kill(ctx context.Context, id string) error {
	err := a.c.Do(ctx, rest.Request{Op: "kill sandbox " + id, Operation: "kill sandbox", Method: http.MethodDelete, Path: sandboxPath(id)}, nil)
	if isGone(err) {
		return nil
	}
	return err
}

// listTemplates returns the team's templates.
func (a *api) listTemplates(ctx context.Context) ([]template, error) {
	return paginate[template](ctx, a.c, "list templates", "v2/templates", nil)
}

// aliasExists reports whether a template answers to alias: 200 (the team's) and 403
// (another team's, such as E2B's public ones) both mean it exists.
func (a *api) aliasExists(ctx context.Context, alias string) (bool, error) {
	err := a.c.Do(ctx, rest.Request{Op: "look up template " + alias, Operation: "look up template", Path: "templates/aliases/" + url.PathEscape(alias)}, nil)
	switch {
	case err == nil, errors.Is(err, providers.ErrAuth) && status(err) == http.StatusForbidden:
		return true, nil
	case isGone(err):
		return false, nil
	}
	return false, err
}

// requestBuild registers a build of the template named name (the same template when the name
// is taken by the team).
func (a *api) requestBuild(ctx context.Context, req buildRequest) (buildIDs, error) {
	var out buildIDs
	err := a.c.Do(ctx, rest.Request{Op: "request template build " + req.Name, Operation: "request template build", Method: http.MethodPost, Path: "v3/templates",
		Body: req, Idempotent: true}, &out)
	return out, err
}

// startBuild starts a registered build from an image. A retry of a start that took effect is
// refused with 400 (not waiting); the caller observes the build's status instead.
func (a *api) startBuild(ctx context.Context, ids buildIDs, body buildStart, secrets []string) error {
	return a.c.Do(ctx, rest.Request{Op: "start template build " + ids.TemplateID, Operation: "start template build", Method: http.MethodPost,
		Path: "v2/templates/" + url.PathEscape(ids.TemplateID) + "/builds/" + url.PathEscape(ids.BuildID),
		Body: body, Secrets: secrets, Idempotent: true}, nil)
}

// buildStatus reads a build's status and its log entries from offset.
func (a *api) buildStatus(ctx context.Context, ids buildIDs, offset int) (buildInfo, error) {
	var out buildInfo
	err := a.c.Do(ctx, rest.Request{Op: "get template build status " + ids.TemplateID, Operation: "get template build status",
		Path:  "templates/" + url.PathEscape(ids.TemplateID) + "/builds/" + url.PathEscape(ids.BuildID) + "/status",
		Query: url.Values{"logsOffset": {fmt.Sprint(offset)}}}, &out)
	return out, err
}

// deleteTemplate removes a template; one already gone is success. A template that sandboxes
// still use is refused with 400.
func (a *api) deleteTemplate(ctx context.Context, id string) error {
	err := a.c.Do(ctx, rest.Request{Op: "delete template " + id, Operation: "delete template", Method: http.MethodDelete, Path: "templates/" + url.PathEscape(id)}, nil)
	if isGone(err) {
		return nil
	}
	return err
}
