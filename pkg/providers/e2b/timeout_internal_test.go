package e2b

import (
	"strings"
	"testing"
	"time"
)

// The deploy says when the sandbox's timeout ends, so the comment tells reviewers.
func TestTimeoutNote(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 13, 5, 0, 0, time.UTC)
	if got := timeoutNote(&desired{timeout: 3600, autoPause: true}, now); !strings.Contains(got, "pauses at 2026-12-05 14:05 UTC") {
		t.Errorf("autoPause note = %q", got)
	}
	if got := timeoutNote(&desired{timeout: 600, autoPause: false}, now); !strings.Contains(got, "killed at 2026-12-05 13:15 UTC") {
		t.Errorf("kill note = %q", got)
	}
}
