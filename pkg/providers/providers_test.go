package providers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

func TestStateJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for s := providers.StateUnknown; s <= providers.StateDestroying; s++ {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var got providers.State
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if got != s {
			t.Errorf("round trip of %v = %v", s, got)
		}
	}
	if b, _ := json.Marshal(providers.StateNotDeployed); string(b) != `"notdeployed"` {
		t.Errorf("StateNotDeployed JSON = %s, want the upstream \"notdeployed\"", b)
	}
	var s providers.State
	if err := json.Unmarshal([]byte(`"not deployed"`), &s); err == nil {
		t.Error("unknown state accepted")
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestIsRetryable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"canceled", context.Canceled, false},
		{"deadline", context.DeadlineExceeded, true},
		{"unavailable", fmt.Errorf("docker: ping: %w", providers.ErrUnavailable), true},
		{"transient wrapper", providers.Transient(errors.New("busy")), true},
		{"wrapped transient", fmt.Errorf("ctx: %w", providers.Transient(errors.New("busy"))), true},
		{"429", &providers.APIError{Provider: "fly", Status: 429}, true},
		{"503", &providers.APIError{Provider: "fly", Status: 503}, true},
		{"422", &providers.APIError{Provider: "fly", Status: 422, Code: "name_taken"}, false},
		{"422 marked retryable", &providers.APIError{Provider: "fly", Status: 422, Retryable: true}, true},
		{"net timeout", fmt.Errorf("get: %w", timeoutErr{}), true},
		{"not found", fmt.Errorf("x: %w", providers.ErrNotFound), false},
		{"invalid spec", providers.ErrInvalidSpec, false},
		{"permanent 503", providers.Permanent(&providers.APIError{Provider: "e2b", Status: 503}), false},
		{"permanent deadline", fmt.Errorf("exec: %w", providers.Permanent(context.DeadlineExceeded)), false},
		{"transient around permanent", providers.Transient(providers.Permanent(errors.New("sent"))), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := providers.IsRetryable(tc.err); got != tc.want {
				t.Errorf("IsRetryable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestAPIErrorMessage(t *testing.T) {
	t.Parallel()
	e := &providers.APIError{Provider: "fly", Op: "create machine", Status: 422, Code: "name_taken", Message: "app exists", RequestID: "r1"}
	if got, want := e.Error(), "fly: create machine: HTTP 422 name_taken: app exists (request r1)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	var r providers.Registry
	if err := r.Register(providertest.NewFake()); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(providertest.NewFake()); err == nil {
		t.Error("second registration under the same name accepted")
	}
	if err := r.Register(providertest.NewFake(providertest.WithName("other"))); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(r.Names()); got != "[fake other]" {
		t.Errorf("Names() = %s", got)
	}
	if _, err := r.Get("fly"); !errors.Is(err, providers.ErrUnknownProvider) {
		t.Errorf("Get(fly) error = %v, want ErrUnknownProvider", err)
	}
	if p, err := r.Get("other"); err != nil || p.Name() != "other" {
		t.Errorf("Get(other) = %v, %v", p, err)
	}
}

func TestAPIErrorMatchesSentinels(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status int
		want   error
		retry  bool
	}{
		{404, providers.ErrNotFound, false},
		{409, providers.ErrConflict, false},
		{401, providers.ErrAuth, false},
		{403, providers.ErrAuth, false},
		{408, providers.ErrUnavailable, true},
		{429, providers.ErrUnavailable, true},
		{502, providers.ErrUnavailable, true},
		{501, nil, false},
		{422, nil, false},
	}
	all := []error{providers.ErrNotFound, providers.ErrConflict, providers.ErrAuth, providers.ErrUnavailable}
	for _, tc := range cases {
		err := fmt.Errorf("wrapped: %w", &providers.APIError{Provider: "fly", Status: tc.status})
		for _, s := range all {
			if got := errors.Is(err, s); got != (s == tc.want) {
				t.Errorf("HTTP %d: errors.Is(%v) = %v, want %v", tc.status, s, got, s == tc.want)
			}
		}
		if got := providers.IsRetryable(err); got != tc.retry {
			t.Errorf("HTTP %d: IsRetryable = %v, want %v", tc.status, got, tc.retry)
		}
	}
	q := &providers.APIError{Provider: "e2b", Status: 429, Err: providers.ErrQuota}
	if providers.IsRetryable(q) || !errors.Is(q, providers.ErrQuota) {
		t.Errorf("429 with ErrQuota: retryable=%v is-quota=%v, want false, true", providers.IsRetryable(q), errors.Is(q, providers.ErrQuota))
	}
	if providers.Hint(q) == "" {
		t.Error("ErrQuota has no hint")
	}
	if got := providers.RetryAfterOf(fmt.Errorf("x: %w", &providers.APIError{Status: 429, RetryAfter: 7 * time.Second})); got != 7*time.Second {
		t.Errorf("RetryAfterOf(APIError) = %v, want 7s", got)
	}
	ta := providers.TransientAfter(errors.New("busy"), 3*time.Second)
	if !providers.IsRetryable(ta) || providers.RetryAfterOf(ta) != 3*time.Second {
		t.Errorf("TransientAfter: retryable=%v after=%v", providers.IsRetryable(ta), providers.RetryAfterOf(ta))
	}
	mc := providers.MissingCredential("fly", "FLY_API_TOKEN")
	if !errors.Is(mc, providers.ErrAuth) || !strings.Contains(mc.Error(), "FLY_API_TOKEN") || providers.IsRetryable(mc) {
		t.Errorf("MissingCredential = %v", mc)
	}
}

func TestHandleRoundTrip(t *testing.T) {
	t.Parallel()
	type flyState struct {
		App     string `json:"app"`
		Machine string `json:"machine"`
	}
	text, err := providers.NewHandle("fly", 1, flyState{"a-1", "m-2"})
	if err != nil || text != `fly/v1:{"app":"a-1","machine":"m-2"}` {
		t.Fatalf("NewHandle = %q, %v", text, err)
	}
	h, err := providers.ParseHandle(text)
	if err != nil {
		t.Fatal(err)
	}
	var got flyState
	if err := h.Decode("fly", 1, &got); err != nil || got != (flyState{"a-1", "m-2"}) {
		t.Errorf("Decode = %+v, %v", got, err)
	}
	if err := h.Decode("docker", 1, &got); !errors.Is(err, providers.ErrBadHandle) {
		t.Errorf("Decode by another provider: %v, want ErrBadHandle", err)
	}
	if err := h.Decode("fly", 0, &got); !errors.Is(err, providers.ErrBadHandle) {
		t.Errorf("Decode of a newer version: %v, want ErrBadHandle", err)
	}
	legacy, err := providers.ParseHandle("docker/v1:abc123")
	var id string
	if err != nil || legacy.Decode("docker", 1, &id) != nil || id != "abc123" {
		t.Errorf("legacy handle: %v %q", err, id)
	}
	for _, bad := range []string{"nope", "fly/vx:{}", "/v1:{}", "fly/v0:{}"} {
		if _, err := providers.ParseHandle(bad); !errors.Is(err, providers.ErrBadHandle) {
			t.Errorf("ParseHandle(%q) = %v, want ErrBadHandle", bad, err)
		}
	}
	if h, err := providers.ParseHandle(""); h != nil || err != nil {
		t.Errorf("ParseHandle(\"\") = %v, %v", h, err)
	}
}

type plainSecret string

func (p plainSecret) Reveal() string { return string(p) }

func TestSplitCredentials(t *testing.T) {
	t.Parallel()
	s := &providers.Spec{Secrets: []providers.SecretValue{
		{Name: "E2B_API_KEY", Value: plainSecret("k")},
		{Name: "APP_TOKEN", Value: plainSecret("a")},
		{Name: "FLY_API_TOKEN", Value: plainSecret("f")},
	}}
	withheld := providers.SplitCredentials(s, []string{"E2B_API_KEY", "FLY_API_TOKEN"}, map[string]bool{"FLY_API_TOKEN": true})
	names := func(v []providers.SecretValue) (out []string) {
		for _, x := range v {
			out = append(out, x.Name)
		}
		return out
	}
	if got := fmt.Sprint(names(s.Secrets)); got != "[APP_TOKEN FLY_API_TOKEN]" {
		t.Errorf("delivered = %s", got)
	}
	if got := fmt.Sprint(names(s.Credentials)); got != "[E2B_API_KEY FLY_API_TOKEN]" {
		t.Errorf("credentials = %s", got)
	}
	if fmt.Sprint(withheld) != "[E2B_API_KEY]" {
		t.Errorf("withheld = %v", withheld)
	}
}
