package docker

import (
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

func TestOwnerOurs(t *testing.T) {
	t.Parallel()
	lbl := func(env, repo string, managed bool) map[string]string {
		l := map[string]string{providers.LabelEnv: env}
		if repo != "" {
			l[providers.LabelRepo] = repo
		}
		if managed {
			l[providers.LabelManagedBy] = providers.ManagedByValue
		}
		return l
	}
	tests := []struct {
		name   string
		o      owner
		labels map[string]string
		want   bool
	}{
		{"same env and repo", owner{"app-pr-7", "acme/one"}, lbl("app-pr-7", "acme/one", true), true},
		{"repo compared without case", owner{"app-pr-7", "Acme/One"}, lbl("app-pr-7", "acme/one", true), true},
		{"other repo", owner{"app-pr-7", "acme/one"}, lbl("app-pr-7", "acme/two", true), false},
		{"resource without repo", owner{"app-pr-7", "acme/one"}, lbl("app-pr-7", "", true), true},
		{"spec without repo", owner{"app-pr-7", ""}, lbl("app-pr-7", "acme/two", true), true},
		{"other env", owner{"app-pr-7", "acme/one"}, lbl("app-pr-8", "acme/one", true), false},
		{"not managed by sindri", owner{"app-pr-7", "acme/one"}, lbl("app-pr-7", "acme/one", false), false},
		{"no labels", owner{"app-pr-7", "acme/one"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.o.ours(tt.labels); got != tt.want {
				t.Errorf("%+v.ours(%v) = %v, want %v", tt.o, tt.labels, got, tt.want)
			}
		})
	}
}

func TestOwnerStranger(t *testing.T) {
	t.Parallel()
	o := owner{"app-pr-7", "acme/one"}
	other := map[string]string{providers.LabelManagedBy: providers.ManagedByValue,
		providers.LabelEnv: "app-pr-7", providers.LabelRepo: "acme/two"}
	if got := o.stranger(other); !strings.Contains(got, `"acme/two"`) || !strings.Contains(got, `"acme/one"`) {
		t.Errorf("stranger(other repo) = %q, want both repositories named", got)
	}
	if got := o.stranger(map[string]string{}); got != "that sindri did not create" {
		t.Errorf("stranger(unlabelled) = %q", got)
	}
}

func TestOwnerOfSpec(t *testing.T) {
	t.Parallel()
	s := baseSpec(nil)
	s.Labels[providers.LabelRepo] = "acme/one"
	if got, want := ownerOf(s), (owner{"demo-pr-7", "acme/one"}); got != want {
		t.Errorf("ownerOf = %+v, want %+v", got, want)
	}
	d, err := resolve(s, "127.0.0.1", engineFacts{})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.owner(); got != ownerOf(s) {
		t.Errorf("desired.owner = %+v, want %+v", got, ownerOf(s))
	}
}
