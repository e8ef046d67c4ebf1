package devpod_test

import (
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/devpod"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli/clitest"
)

// upCalls counts the fake's `devpod up` calls.
func upCalls(t *testing.T, calls []string) int {
	t.Helper()
	n := 0
	for _, c := range calls {
		if c == "up" {
			n++
		}
	}
	return n
}

// A new job id, generation or expiry alone changes nothing: no second `up`, Changed false;
// the expiry reaches List through the record.
func TestPerJobLabelsDoNotRecreate(t *testing.T) {
	t.Parallel()
	fake := fakeDevpod(t, "docker", nil, 1, clitest.Rule{Args: []string{"list"}, Stdout: `[{"id":"jobs","provider":{"name":"docker"}}]`})
	p := devpod.New(devpod.Config{Binary: fake.Path, Home: t.TempDir()})
	s := dockerSpec(t, "jobs")
	s.Labels = map[string]string{providers.LabelJobID: "job-1", providers.LabelGeneration: "1", providers.LabelManagedBy: providers.ManagedByValue}
	if d, err := p.Deploy(t.Context(), s, nil); err != nil || !d.Changed {
		t.Fatalf("first Deploy = %+v, %v; want Changed", d, err)
	}
	s.Labels = map[string]string{providers.LabelJobID: "job-2", providers.LabelGeneration: "2", providers.LabelExpiresAt: "2026-12-24T00:00:00Z",
		providers.LabelManagedBy: providers.ManagedByValue}
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil || d.Changed {
		t.Fatalf("second Deploy = %+v, %v; want Changed false", d, err)
	}
	var first []string
	for _, c := range fake.Calls(t) {
		first = append(first, c.Args[0])
	}
	if n := upCalls(t, first); n != 1 {
		t.Errorf("devpod up ran %d times, want once: %v", n, first)
	}
	m, err := p.List(t.Context())
	if err != nil || len(m) != 1 || m[0].Env != "jobs" || m[0].Labels[providers.LabelExpiresAt] != "2026-12-24T00:00:00Z" || m[0].State != providers.StateRunning {
		t.Errorf("List = %+v, %v; want jobs running with the latest expiry", m, err)
	}
}
