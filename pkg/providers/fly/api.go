package fly

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// requestIDHeader is the response header carrying Fly's request id (fly.md §1.3).
const requestIDHeader = "fly-request-id"

// api is the thin typed Machines API client: one method per call, no policy. Policy (what to
// retry after observing, what to wait for) lives in deploy.go, wait.go and lifecycle.go.
type api struct {
	c *rest.Client
	// w sends /wait: its 408 is an answer ("not yet"), which the caller acts on, so it is
	// never retried by the client.
	w *rest.Client
}

// authHeader returns the Authorization value for token: a token already carrying a scheme
// ("Bearer X", "FlyV1 X", even "Bearer FlyV1 X") is stripped of it first; macaroon tokens
// (fm1r_, fm1a_, fm2_) are sent as FlyV1, anything else as Bearer (fly.md §1.2).
func authHeader(token string) string {
	t := strings.TrimSpace(token)
	for {
		low := strings.ToLower(t)
		switch {
		case strings.HasPrefix(low, "bearer "):
			t = strings.TrimSpace(t[len("bearer "):])
			continue
		case strings.HasPrefix(low, "flyv1 "):
			t = strings.TrimSpace(t[len("flyv1 "):])
			continue
		}
		break
	}
	for _, p := range []string{"fm1r_", "fm1a_", "fm2_"} {
		if strings.HasPrefix(t, p) {
			return "FlyV1 " + t
		}
	}
	return "Bearer " + t
}

// Fly's error classifications (the "status" of an error body, fly.md §1.4).
const (
	statusNameTaken            = "name_taken"
	statusInsufficientCapacity = "insufficient_capacity"
	statusVolumeCapacity       = "volume_placement_capacity"
)

// capacityMessages and quotaMessages are the error texts Fly sends without a classification
// that still mean capacity or quota (fly.md §1.5, §3.3, §4): the one place this provider reads
// message text, because the API gives nothing better.
var (
	capacityMessages = []string{"insufficient resources", "no capacity", "could not reserve resource"}
	quotaMessages    = []string{"over the allowed quota", "machine count limit", "quota"}
)

// decodeError is the Fly error decoder: {"error", "message", "status"}, message preferred as
// fly-go does; the status classification names the code. Capacity refusals wrap
// providers.ErrCapacity and quota refusals providers.ErrQuota.
func decodeError(status int, _ http.Header, body []byte) (code, message string, cause error) {
	var b struct {
		Error   string `json:"error"`
		Message string `json:"message"`
		Status  string `json:"status"`
	}
	if json.Unmarshal(body, &b) != nil {
		return "", strings.TrimSpace(string(body)), nil
	}
	message = b.Message
	if message == "" {
		message = b.Error
	}
	code = b.Status
	if code == "error" { // lease conflicts send {"status":"error","message":...}
		code = ""
	}
	low := strings.ToLower(message)
	switch {
	case code == statusInsufficientCapacity || code == statusVolumeCapacity:
		cause = providers.ErrCapacity
	case (status == http.StatusForbidden || status == http.StatusUnprocessableEntity) && containsAny(low, quotaMessages):
		cause = providers.ErrQuota
	case (status == http.StatusPreconditionFailed || status == http.StatusBadRequest || status == http.StatusConflict) && containsAny(low, capacityMessages):
		cause = providers.ErrCapacity
	}
	return code, message, cause
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// apiStatus returns err's HTTP status, 0 when it is not an API error.
func apiStatus(err error) int {
	var ae *providers.APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// apiCode returns err's Fly classification ("name_taken"), "" when none.
func apiCode(err error) string {
	var ae *providers.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func appPath(name string) string { return "apps/" + url.PathEscape(name) }

func machinePath(appName, id string) string {
	return appPath(appName) + "/machines/" + url.PathEscape(id)
}

func (a *api) getApp(ctx context.Context, name string) (*app, error) {
	var out app
	if err := a.c.Do(ctx, rest.Request{Op: "get app " + name, Operation: "get app", Path: appPath(name)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (a *api) listApps(ctx context.Context, org string) ([]app, error) {
	var out appList
	err := a.c.Do(ctx, rest.Request{Op: "list apps", Operation: "list apps", Path: "apps", Query: url.Values{"org_slug": {org}}}, &out)
	return out.Apps, err
}

// createApp creates the app; recover reports whether a lost create took effect.
func (a *api) createApp(ctx context.Context, name, org string, recover func(context.Context) (bool, error)) error {
	return a.c.Do(ctx, rest.Request{Op: "create app " + name, Operation: "create app", Method: http.MethodPost, Path: "apps",
		Body: createAppRequest{Name: name, OrgSlug: org}, Recover: recover}, nil)
}

func (a *api) deleteApp(ctx context.Context, name string) error {
	return a.c.Do(ctx, rest.Request{Op: "delete app " + name, Operation: "delete app", Method: http.MethodDelete, Path: appPath(name)}, nil)
}

// listMachines lists the app's machines carrying metadata key=value (destroyed ones left out).
func (a *api) listMachines(ctx context.Context, appName, key, value string) ([]machine, error) {
	var out []machine
	q := url.Values{}
	if key != "" {
		q.Set("metadata."+key, value)
	}
	err := a.c.Do(ctx, rest.Request{Op: "list machines of " + appName, Operation: "list machines", Path: appPath(appName) + "/machines", Query: q}, &out)
	return out, err
}

func (a *api) getMachine(ctx context.Context, appName, id string) (*machine, error) {
	var out machine
	if err := a.c.Do(ctx, rest.Request{Op: "get machine " + id, Operation: "get machine", Path: machinePath(appName, id)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// createMachine is not idempotent: recover must find a machine a lost create made.
func (a *api) createMachine(ctx context.Context, appName string, req createMachineRequest, out *machine, recover func(context.Context) (bool, error)) error {
	return a.c.Do(ctx, rest.Request{Op: "create machine in " + appName, Operation: "create machine", Method: http.MethodPost,
		Path: appPath(appName) + "/machines", Body: req, Recover: recover}, out)
}

// updateMachine replaces the whole config: sending the same config twice makes the same
// machine, so it is retried like a PUT.
func (a *api) updateMachine(ctx context.Context, appName, id string, req updateMachineRequest, out *machine) error {
	return a.c.Do(ctx, rest.Request{Op: "update machine " + id, Operation: "update machine", Method: http.MethodPost,
		Path: machinePath(appName, id), Body: req, Idempotent: true}, out)
}

// machineAction posts start, stop or suspend. Each is a request for a state, so sending it
// twice asks for the same state: retried like a PUT.
func (a *api) machineAction(ctx context.Context, appName, id, action string) error {
	return a.c.Do(ctx, rest.Request{Op: action + " machine " + id, Operation: action + " machine", Method: http.MethodPost,
		Path: machinePath(appName, id) + "/" + action, Idempotent: true}, nil)
}

// setMachineMetadata sets one metadata key without a new machine version.
func (a *api) setMachineMetadata(ctx context.Context, appName, id, key, value string) error {
	return a.c.Do(ctx, rest.Request{Op: "set metadata of machine " + id, Operation: "set machine metadata", Method: http.MethodPost,
		Path: machinePath(appName, id) + "/metadata/" + url.PathEscape(key), Body: map[string]string{"value": value}, Idempotent: true}, nil)
}

func (a *api) destroyMachine(ctx context.Context, appName, id string) error {
	return a.c.Do(ctx, rest.Request{Op: "destroy machine " + id, Operation: "destroy machine", Method: http.MethodDelete,
		Path: machinePath(appName, id), Query: url.Values{"force": {"true"}}}, nil)
}

// errExecUnanswered is the Recover verdict of an exec that failed after it may have reached
// Fly: there is nothing to look up, and sending it again could run the command twice.
var errExecUnanswered = errors.New("the command may have run: an exec is never sent twice")

// exec runs a command on the machine and returns its output and exit status. It is not
// idempotent: the client sends it again only when Fly certainly did not get it (429, a refused
// connection); after a lost answer, a timeout, 408 or 5xx the error wraps errExecUnanswered.
func (a *api) exec(ctx context.Context, appName, id string, req execRequest, out *execResponse) error {
	return a.c.Do(ctx, rest.Request{Op: "exec in machine " + id, Operation: "exec in machine", Method: http.MethodPost,
		Path: machinePath(appName, id) + "/exec", Body: req,
		Recover: func(context.Context) (bool, error) { return false, errExecUnanswered }}, out)
}

// maxWait is the longest /wait the API accepts (fly.md §3.9).
const maxWait = 60 * time.Second

// wait blocks until the machine is in state or timeout passes (whole seconds, 1 to 60): a 408
// is returned as is, for the caller to call again.
func (a *api) wait(ctx context.Context, appName, id, state string, timeout time.Duration) error {
	secs := int(min(max(timeout, time.Second), maxWait) / time.Second)
	return a.w.Do(ctx, rest.Request{Op: "wait for machine " + id + " " + state, Operation: "wait for machine", Path: machinePath(appName, id) + "/wait",
		Query: url.Values{"state": {state}, "timeout": {strconv.Itoa(secs)}}}, nil)
}

func (a *api) acquireLease(ctx context.Context, appName, id string, ttl time.Duration) (string, error) {
	var out lease
	err := a.c.Do(ctx, rest.Request{Op: "lease machine " + id, Operation: "lease machine", Method: http.MethodPost, Path: machinePath(appName, id) + "/lease",
		Query: url.Values{"ttl": {strconv.Itoa(int(ttl / time.Second))}}}, &out)
	return out.Data.Nonce, err
}

func (a *api) releaseLease(ctx context.Context, appName, id, nonce string) error {
	return a.c.Do(ctx, rest.Request{Op: "release lease of machine " + id, Operation: "release machine lease", Method: http.MethodDelete, Path: machinePath(appName, id) + "/lease",
		Header: http.Header{"fly-machine-lease-nonce": {nonce}}}, nil)
}

func (a *api) listVolumes(ctx context.Context, appName string) ([]volume, error) {
	var out []volume
	err := a.c.Do(ctx, rest.Request{Op: "list volumes of " + appName, Operation: "list volumes", Path: appPath(appName) + "/volumes"}, &out)
	return out, err
}

func (a *api) createVolume(ctx context.Context, appName string, req createVolumeRequest, out *volume, recover func(context.Context) (bool, error)) error {
	return a.c.Do(ctx, rest.Request{Op: "create volume " + req.Name, Operation: "create volume", Method: http.MethodPost,
		Path: appPath(appName) + "/volumes", Body: req, Recover: recover}, out)
}

func (a *api) deleteVolume(ctx context.Context, appName, id string) error {
	return a.c.Do(ctx, rest.Request{Op: "delete volume " + id, Operation: "delete volume", Method: http.MethodDelete,
		Path: appPath(appName) + "/volumes/" + url.PathEscape(id)}, nil)
}

func (a *api) listSecrets(ctx context.Context, appName string) ([]appSecret, error) {
	var out secretsReply
	err := a.c.Do(ctx, rest.Request{Op: "list secrets of " + appName, Operation: "list secrets", Path: appPath(appName) + "/secrets"}, &out)
	return out.Secrets, err
}

// setSecrets sets and unsets app secrets in one call and returns the new secrets version.
// Setting the same values again is harmless, so it is retried like a PUT; redact holds the
// values, which never reach a recording or an error.
func (a *api) setSecrets(ctx context.Context, appName string, values map[string]*string, redact []string) (uint64, error) {
	var out secretsReply
	err := a.c.Do(ctx, rest.Request{Op: "set secrets of " + appName, Operation: "set secrets", Method: http.MethodPost, Path: appPath(appName) + "/secrets",
		Body: secretsRequest{Values: values}, Secrets: redact, Idempotent: true}, &out)
	return out.Version, err
}

func (a *api) listIPs(ctx context.Context, appName string) ([]ipAssignment, error) {
	var out ipAssignments
	err := a.c.Do(ctx, rest.Request{Op: "list IP assignments of " + appName, Operation: "list IP assignments", Path: appPath(appName) + "/ip_assignments"}, &out)
	return out.IPs, err
}

func (a *api) allocateIP(ctx context.Context, appName, kind string, recover func(context.Context) (bool, error)) error {
	return a.c.Do(ctx, rest.Request{Op: "allocate " + kind + " address for " + appName, Operation: "allocate IP address", Method: http.MethodPost,
		Path: appPath(appName) + "/ip_assignments", Body: allocateIPRequest{Type: kind}, Recover: recover}, nil)
}
