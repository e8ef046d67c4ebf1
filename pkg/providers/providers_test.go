package providers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"testing"

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
