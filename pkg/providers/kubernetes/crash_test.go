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
	p, s, rec, took, err := deployImage(t, "crash", crashImage, 2*time.Minute)
	env := s.Env
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

// A pod no node can take (the scheduler's Unschedulable, e.g. GPUs the cluster lacks) fails
// Deploy at once with ErrCapacity and the scheduler's message.
func TestDeployUnschedulableFailsFast(t *testing.T) {
	t.Parallel()
	_, _, _, took, err := deployImage(t, "noroom", noRoomImage, 2*time.Minute)
	if !errors.Is(err, providers.ErrCapacity) || took > 20*time.Second {
		t.Fatalf("Deploy of an unschedulable pod: %v after %v, want ErrCapacity within seconds", err, took)
	}
	if !strings.Contains(err.Error(), "Insufficient nvidia.com/gpu") {
		t.Errorf("error %q lacks the scheduler's message", err)
	}
}

// A Deployment that never becomes available times out with a deadline error that says how
// far it got; the environment is rolled back, as any failed first deploy.
func TestDeployTimeout(t *testing.T) {
	t.Parallel()
	_, s, _, _, err := deployImage(t, "stuck", stuckImage, time.Second)
	env := s.Env
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "is not ready after 1s (0 of 1 replicas available)") {
		t.Fatalf("Deploy that never becomes ready: %v", err)
	}
	if left := objectsOf(t, "ns-"+env, env); len(left) > 0 {
		t.Errorf("left after the timeout: %v", left)
	}
}

// deployImage deploys a fresh env of image into a namespace of its own and returns what the
// Deploy gave: its error, how long it took and the job's log.
func deployImage(t *testing.T, prefix, image string, timeout time.Duration) (*Provider, *providers.Spec, *providertest.Recorder, time.Duration, error) {
	t.Helper()
	p := newTestProvider(t, Config{})
	env := prefix + "-" + randSuffix()
	s := testSpec(env, testNamespace(t, "ns-"+env))
	s.Image, s.Options.Timeout = image, timeout
	rec := &providertest.Recorder{}
	start := time.Now()
	_, err := p.Deploy(context.Background(), s, rec)
	took := time.Since(start)
	t.Logf("Deploy of %s ended after %v: %v\njob log:\n%s", image, took, err, rec.Text())
	return p, s, rec, took, err
}
