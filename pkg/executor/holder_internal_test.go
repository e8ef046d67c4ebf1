package executor

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/jobs"
)

func TestHolderJob(t *testing.T) {
	t.Parallel()
	const id = "01a2228b-e152-7e2c-a30a-851bfdb9bcec"
	tests := map[string]struct {
		holder string
		want   string
		ok     bool
	}{
		"plain worker":          {holder: "host-1-abc/" + id + "/42", want: id, ok: true},
		"worker with slashes":   {holder: "pod/ns/host-1/" + id + "/42", want: id, ok: true},
		"worker with only one":  {holder: "k8s/exec-0/" + id + "/7", want: id, ok: true},
		"no sequence":           {holder: "host/" + id + "/", ok: false},
		"no worker":             {holder: "/" + id + "/7", ok: false},
		"not a delivery holder": {holder: "someone-else", ok: false},
		"one separator only":    {holder: "w/" + id, ok: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := holderJob(tc.holder)
			if got != tc.want || ok != tc.ok {
				t.Errorf("holderJob(%q) = %q, %v; want %q, %v", tc.holder, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestSameJobWithSlashInWorkerName: a delivery recognises another delivery of its job as the
// lease holder whatever the worker names hold.
func TestSameJobWithSlashInWorkerName(t *testing.T) {
	t.Parallel()
	const id = "01a2228b-e152-7e2c-a30a-851bfdb9bcec"
	mk := func(worker, jobID string, seq uint64) *delivery {
		return &delivery{
			e:    &Executor{cfg: Config{Worker: worker}},
			job:  &jobs.Job{ID: jobID},
			meta: &jetstream.MsgMetadata{Sequence: jetstream.SequencePair{Consumer: seq}},
		}
	}
	running := mk("cluster/pod-0", id, 3)
	if !mk("cluster/pod-1", id, 9).sameJob(running.holder()) {
		t.Errorf("a redelivery of job %s does not recognise holder %q as its own job", id, running.holder())
	}
	if mk("cluster/pod-1", "01a2228b-0000-7e2c-a30a-851bfdb9bcec", 9).sameJob(running.holder()) {
		t.Errorf("another job took holder %q for its own", running.holder())
	}
}
