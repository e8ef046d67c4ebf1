package cost_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
)

// TestIdleFor: the effective idle time is the shortest set one; a config may shorten the
// executor's or the repository's, never lengthen it (it gets a note), and may ask for an idle
// stop where the executor has none.
func TestIdleFor(t *testing.T) {
	t.Parallel()
	i := cost.Idle{Executor: 2 * time.Hour, Repos: []cost.RepoIdle{{Pattern: "acme/*", After: 30 * time.Minute}, {Pattern: "acme/web", After: 10 * time.Minute}}}
	tests := []struct {
		name     string
		idle     cost.Idle
		repo     string
		asked    time.Duration
		want     time.Duration
		wantNote bool
	}{
		{"executor only", i, "other/repo", 0, 2 * time.Hour, false},
		{"config shortens", i, "other/repo", time.Hour, time.Hour, false},
		{"config cannot lengthen", i, "other/repo", 3 * time.Hour, 2 * time.Hour, true},
		{"repository shortens, first match wins", i, "acme/web", 0, 30 * time.Minute, false},
		{"config longer than the repository", i, "acme/api", time.Hour, 30 * time.Minute, true},
		{"config shorter than the repository", i, "acme/api", 5 * time.Minute, 5 * time.Minute, false},
		{"no executor idle stop: the config's", cost.Idle{}, "x/y", 20 * time.Minute, 20 * time.Minute, false},
		{"nothing set", cost.Idle{}, "x/y", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, note := tt.idle.For(tt.repo, tt.asked)
			if got != tt.want || (note != "") != tt.wantNote {
				t.Fatalf("For(%q, %v) = %v, %q; want %v (note %t)", tt.repo, tt.asked, got, note, tt.want, tt.wantNote)
			}
			if tt.wantNote && !strings.Contains(note, "cannot lengthen") {
				t.Errorf("note %q does not say it cannot lengthen", note)
			}
		})
	}
}
