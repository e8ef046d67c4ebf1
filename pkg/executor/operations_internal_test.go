package executor

import (
	"testing"

	"github.com/sindri/deploy/v3/pkg/jobs"
)

// Every job kind has an operation: a new kind without one would fail every such job.
func TestOperationsCoverEveryKind(t *testing.T) {
	t.Parallel()
	for _, k := range jobs.Kinds {
		op, ok := operations[k]
		if !ok || op.call == nil {
			t.Errorf("kind %s has no operation", k)
		}
		if op.supported != nil && op.unsupported == "" {
			t.Errorf("kind %s can be refused but says nothing about why", k)
		}
	}
	if len(operations) != len(jobs.Kinds) {
		t.Errorf("%d operations for %d kinds", len(operations), len(jobs.Kinds))
	}
}
