package fly

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

func TestAuthHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ token, want string }{
		{"abc", "Bearer abc"},
		{"Bearer abc", "Bearer abc"},
		{"FlyV1 fm2_xyz", "FlyV1 fm2_xyz"},
		{"fm2_xyz", "FlyV1 fm2_xyz"},
		{"Bearer FlyV1 fm2_xyz", "FlyV1 fm2_xyz"},
		{"  fm1r_abc ", "FlyV1 fm1r_abc"},
	} {
		if got := authHeader(tc.token); got != tc.want {
			t.Errorf("authHeader(%q) = %q, want %q", tc.token, got, tc.want)
		}
	}
}

func TestDecodeError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		code, msg string
		cause     error
	}{
		{"name taken", 422, `{"error":"Validation failed: Name has already been taken","status":"name_taken"}`, "name_taken", "Validation failed: Name has already been taken", nil},
		{"capacity class", 503, `{"error":"no room","status":"insufficient_capacity"}`, "insufficient_capacity", "no room", providers.ErrCapacity},
		{"volume host full", 412, `{"error":"insufficient resources to create new machine with existing volume"}`, "", "insufficient resources to create new machine with existing volume", providers.ErrCapacity},
		{"volume no capacity", 400, `{"error":"no capacity"}`, "", "no capacity", providers.ErrCapacity},
		{"memory quota", 403, `{"error":"Organization x is using 9000 MB of memory in dfw which is over the allowed quota of 8192 MB"}`, "", "Organization x is using 9000 MB of memory in dfw which is over the allowed quota of 8192 MB", providers.ErrQuota},
		{"lease conflict prefers message", 409, `{"status":"error","message":"machine ID 1 lease currently held by x","error":"conflict"}`, "", "machine ID 1 lease currently held by x", nil},
		{"text", 502, `bad gateway`, "", "bad gateway", nil},
	} {
		code, msg, cause := decodeError(tc.status, http.Header{}, []byte(tc.body))
		if code != tc.code || msg != tc.msg || !errors.Is(cause, tc.cause) || (tc.cause == nil) != (cause == nil) {
			t.Errorf("%s: decodeError = %q, %q, %v; want %q, %q, %v", tc.name, code, msg, cause, tc.code, tc.msg, tc.cause)
		}
	}
}

func TestAppName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 60) + "-pr-1"
	for _, n := range []string{AppName("", "r", long), AppName("team-prefix", "r", long), AppName("", "", "x")} {
		if len(n) > maxAppName || !validName(n) {
			t.Errorf("AppName = %q (%d chars): want a valid name of at most %d", n, len(n), maxAppName)
		}
	}
	if AppName("", "a/b", "web-pr-7") == AppName("", "c/d", "web-pr-7") {
		t.Error("two repositories' web-pr-7 get one app name")
	}
}

func TestStateMapCoversFlyStates(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"created", "starting", "started", "stopping", "stopped", "suspending", "suspended",
		"replacing", "updating", "restarting", "failed", "launch_failed", "destroying", "destroyed"} {
		if mapState(s) == providers.StateUnknown {
			t.Errorf("machine state %s maps to unknown", s)
		}
	}
}
