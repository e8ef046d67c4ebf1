package builtin

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// TestFlySettings: token_env names the variable the token is read from (and the one a missing
// token error names), api_url and app_prefix are checked, and nothing fails for a missing token.
func TestFlySettings(t *testing.T) {
	t.Parallel()
	env := map[string]string{"TEAM_FLY_TOKEN": "tok"}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		name     string
		settings map[string]string
		wantErr  string
		ready    bool
	}{
		{"defaults without a token", nil, "", false},
		{"token_env", map[string]string{"token_env": "TEAM_FLY_TOKEN"}, "", true},
		{"bad token_env", map[string]string{"token_env": "not a var"}, "token_env", false},
		{"bad api_url", map[string]string{"api_url": "api.machines.dev"}, "api_url", false},
		{"bad app_prefix", map[string]string{"app_prefix": "Team_A"}, "app_prefix", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := newFly(getenv, tc.settings)
			var se *SettingError
			switch {
			case tc.wantErr != "" && (!errors.As(err, &se) || se.Setting != tc.wantErr):
				t.Fatalf("newFly = %v, want a SettingError for %s", err, tc.wantErr)
			case tc.wantErr != "":
				return
			case err != nil:
				t.Fatal(err)
			}
			r := p.(providers.Checker).Check(context.Background())
			if r.Ready != tc.ready {
				t.Errorf("Check = %+v, want ready %v", r, tc.ready)
			}
			if !tc.ready {
				_, err := p.Status(context.Background(), &providers.Spec{Env: "x"})
				if !errors.Is(err, providers.ErrAuth) || !strings.Contains(err.Error(), "FLY_API_TOKEN") {
					t.Errorf("Status without a token = %v, want ErrAuth naming FLY_API_TOKEN", err)
				}
			}
		})
	}
}
