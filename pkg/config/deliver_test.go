package config

import (
	"strings"
	"testing"
)

func TestSecretDeliver(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, item string
		want       bool
		errText    string
	}{
		{"absent", "{name: FLY_API_TOKEN, source: env}", false, ""},
		{"true", "{name: FLY_API_TOKEN, source: env, deliver: true}", true, ""},
		{"false", "{name: FLY_API_TOKEN, source: env, deliver: false}", false, ""},
		{"not a boolean", "{name: FLY_API_TOKEN, source: env, deliver: yes}", false, "expected true or false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, diags := Load("sindri.yaml", []byte(base+"secrets:\n  - "+tc.item+"\n"))
			if tc.errText != "" {
				for _, d := range diags.Errors() {
					if d.Field == "secrets[0].deliver" && strings.Contains(d.Message, tc.errText) && d.Line == 8 {
						return
					}
				}
				t.Fatalf("no error on secrets[0].deliver containing %q; got:\n%s", tc.errText, render(diags))
			}
			if c == nil {
				t.Fatalf("refused:\n%s", render(diags))
			}
			if got := c.Secrets[0].Deliver; got != tc.want {
				t.Errorf("Deliver = %v, want %v", got, tc.want)
			}
			for _, d := range diags {
				if strings.HasPrefix(d.Field, "secrets[0]") {
					t.Errorf("unexpected diagnostic %s", d)
				}
			}
		})
	}
}
