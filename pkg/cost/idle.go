package cost

import (
	"fmt"
	"path"
	"time"
)

// Idle is an executor's idle stop: how long a running environment may go without a push, a
// command or (where the provider reports it) traffic before it is stopped. Repositories and
// configs may shorten it, never lengthen it.
type Idle struct {
	// Executor is the executor's idle_stop (0: the executor stops nothing for idleness, though
	// a repository or config may still ask for a stop).
	Executor time.Duration
	// Repos are per-repository idle times, first matching pattern wins.
	Repos []RepoIdle
}

// RepoIdle is the idle time of the repositories that match Pattern (path.Match, "acme/*").
type RepoIdle struct {
	Pattern string
	After   time.Duration
}

// For returns the idle time of an environment of repo whose config asks for asked (0: the
// config sets none): the shortest of the executor's, the repository's and the config's, each
// counting only when set. When asked is longer than what the executor and the repository allow,
// note says so (it cannot lengthen them); it is "" otherwise. Zero means no idle stop.
func (i Idle) For(repo string, asked time.Duration) (after time.Duration, note string) {
	after = i.Executor
	for _, r := range i.Repos {
		if ok, _ := path.Match(r.Pattern, repo); ok {
			after = Shortest(after, r.After)
			break
		}
	}
	if asked > 0 && after > 0 && asked > after {
		return after, fmt.Sprintf("deployment.idle_stop %s cannot lengthen the executor's idle stop: the environment stops after %s without a push, command or traffic", asked, after)
	}
	return Shortest(after, asked), ""
}

// Shortest returns the shortest of the durations that are set (> 0), or 0 when none is.
func Shortest(ds ...time.Duration) time.Duration {
	var s time.Duration
	for _, d := range ds {
		if d > 0 && (s == 0 || d < s) {
			s = d
		}
	}
	return s
}
