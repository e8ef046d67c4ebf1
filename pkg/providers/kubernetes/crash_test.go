package kubernetes

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestDeployCrashLoopFailsFast: a pod in CrashLoopBackOff (written by the test controller as a
// kubelet would) fails Deploy at the next poll, long before its timeout, with an error that
// names the pod, the reason and the restarts. Logs need a kubelet, which envtest does not run:
// the error and the job's log say they are unavailable instead of quoting them.
func TestDeployCrashLoopFailsFast(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, Config{})
	env := "crash-" + randSuffix()
	s := testSpec(env, testNamespace(t, "ns-"+env))
	s.Image = crashImage
	s.Options.Timeout = 2 * time.Minute
	rec := &providertest.Recorder{}
	start := time.Now()
	_, err := p.Deploy(context.Background(), s, rec)
	took := time.Since(start)
	t.Logf("Deploy failed after %v: %v\njob log:\n%s", took, err, rec.Text())
	if !errors.Is(err, providers.ErrWorkloadFailed) {
		t.Fatalf("Deploy of a crash-looping image: %v, want ErrWorkloadFailed", err)
	}
	if took > 20*time.Second {
		t.Errorf("Deploy took %v to fail, want seconds (timeout %v)", took, s.Options.Timeout)
	}
	for _, want := range []string{"CrashLoopBackOff", "3 restarts", "last exit code 1", env + "-crash", "logs are unavailable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !strings.Contains(rec.Text(), "logs unavailable") {
		t.Errorf("the job's log does not say why there are no log lines: %q", rec.Lines())
	}
	if strings.Contains(err.Error(), "tok-"+env) {
		t.Errorf("the error carries the secret value")
	}
	// A first deploy that failed is rolled back: nothing of ours is left but the pod the test
	// controller made (no garbage collector runs here).
	st, err := p.Status(context.Background(), s)
	if err != nil || st.State != providers.StateNotDeployed {
		t.Errorf("Status after the failed first deploy = %v, %v; want notdeployed", st, err)
	}
}
