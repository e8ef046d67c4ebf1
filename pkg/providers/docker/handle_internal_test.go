package docker

import (
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

func TestHandleContainer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, text, want string
	}{
		{"current", newHandle("abc123"), "abc123"},
		{"v1 plain id", "docker/v1:abc123", "abc123"},
		{"another provider's", `fly/v1:{"container":"abc123"}`, ""},
		{"newer than we read", `docker/v9:{"container":"abc123"}`, ""},
		{"none", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := providers.ParseHandle(tc.text)
			if err != nil {
				t.Fatalf("ParseHandle(%q): %v", tc.text, err)
			}
			if got := handleContainer(h); got != tc.want {
				t.Errorf("handleContainer(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}
