package builtin

import (
	"errors"
	"strings"
	"testing"
)

// TestE2BSandboxURL: E2B_SANDBOX_URL and the block's sandbox_url take plain http only to a
// loopback host (envd's requests carry the sandbox's access token); a refusal is a
// SettingError for sandbox_url that names the variable, never the URL.
func TestE2BSandboxURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		env, settings map[string]string
		ok            bool
	}{
		{"loopback http", map[string]string{"E2B_SANDBOX_URL": "http://127.0.0.1:3002"}, nil, true},
		{"https", nil, map[string]string{"sandbox_url": "https://sandbox.example.com"}, true},
		{"http from the environment", map[string]string{"E2B_SANDBOX_URL": "http://sandbox.example.com:3002"}, nil, false},
		{"http in the block", nil, map[string]string{"sandbox_url": "http://10.0.0.9"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := newE2B(func(k string) string { return tc.env[k] }, tc.settings)
			var se *SettingError
			switch {
			case tc.ok && err != nil:
				t.Fatalf("newE2B: %v", err)
			case tc.ok:
			case !errors.As(err, &se) || se.Setting != "sandbox_url":
				t.Fatalf("newE2B = %v, want a SettingError for sandbox_url", err)
			case !strings.Contains(err.Error(), "E2B_SANDBOX_URL") || strings.Contains(err.Error(), "example.com") || strings.Contains(err.Error(), "10.0.0.9"):
				t.Errorf("error %q: want E2B_SANDBOX_URL named and not the URL", err)
			}
		})
	}
}
