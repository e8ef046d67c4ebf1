package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// A failing container's last lines: at most logTailLines, each cut to logLineMax bytes, read
// within logsTimeout.
const (
	logTailLines = 20
	logLineMax   = 512
	logsTimeout  = 5 * time.Second
)

// failingReasons are the container waiting reasons that no wait cures: the pod has failed to
// start, whatever the timeout.
var failingReasons = map[string]bool{
	"CrashLoopBackOff":           true,
	"ErrImagePull":               true,
	"ImagePullBackOff":           true,
	"InvalidImageName":           true,
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"RunContainerError":          true,
}

// ready reports whether dep runs its one replica of the current generation:
// observedGeneration has caught up and the updated and available replicas reach spec. The
// Available condition alone is not enough: it is also true at 0 replicas.
func ready(dep *appsv1.Deployment) bool {
	want := int32(1)
	if dep.Spec.Replicas != nil {
		want = *dep.Spec.Replicas
	}
	st := dep.Status
	return want > 0 && st.ObservedGeneration >= dep.Generation && st.UpdatedReplicas >= want && st.AvailableReplicas >= want
}

// failure is why a Deployment's current pod cannot come up, with the pod and its container
// status, or nil when nothing is wrong yet.
type failure struct {
	pod       *corev1.Pod
	why       string
	restarted bool
	err       error // ErrWorkloadFailed or ErrCapacity
}

// podFailure looks at dep's pods of the current template (annotation annoPodHash) for a
// failure: a failing waiting reason, restarts at or over the limit, a terminated container, a
// failed pod, or a pod the scheduler cannot place. It also reads the Deployment's
// ProgressDeadlineExceeded. Errors are classified.
func (k *kube) podFailure(ctx context.Context, dep *appsv1.Deployment, maxRestarts int32) (*failure, error) {
	for _, c := range dep.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
			return &failure{why: "made no progress: " + c.Message, err: providers.ErrWorkloadFailed}, nil
		}
	}
	hash := dep.Spec.Template.Annotations[annoPodHash]
	pods, err := k.core.Pods(dep.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector(dep.Name)).String()})
	if err != nil {
		return nil, k.classify("list pods of "+dep.Namespace+"/"+dep.Name, err)
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if pod.DeletionTimestamp != nil || (hash != "" && pod.Annotations[annoPodHash] != hash) {
			continue
		}
		if f := podFailed(pod, maxRestarts); f != nil {
			return f, nil
		}
	}
	return nil, nil
}

func podFailed(pod *corev1.Pod, maxRestarts int32) *failure {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return &failure{pod: pod, why: "cannot be scheduled: " + c.Message, err: providers.ErrCapacity}
		}
	}
	if pod.Status.Phase == corev1.PodFailed {
		return &failure{pod: pod, why: "failed: " + pod.Status.Reason + " " + pod.Status.Message, err: providers.ErrWorkloadFailed}
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name != containerName {
			continue
		}
		last := ""
		if t := cs.LastTerminationState.Terminated; t != nil {
			last = fmt.Sprintf(", last exit code %d", t.ExitCode)
			if t.Reason != "" {
				last += " (" + t.Reason + ")"
			}
		}
		switch {
		case cs.State.Waiting != nil && failingReasons[cs.State.Waiting.Reason]:
			why := fmt.Sprintf("is in %s (%d restarts%s)", cs.State.Waiting.Reason, cs.RestartCount, last)
			if m := cs.State.Waiting.Message; m != "" {
				why += ": " + m
			}
			return &failure{pod: pod, why: why, restarted: cs.RestartCount > 0, err: providers.ErrWorkloadFailed}
		case cs.RestartCount >= maxRestarts:
			return &failure{pod: pod, why: fmt.Sprintf("keeps exiting and being restarted (%d restarts%s)", cs.RestartCount, last), restarted: true, err: providers.ErrWorkloadFailed}
		case cs.State.Terminated != nil:
			return &failure{pod: pod, why: fmt.Sprintf("exited with code %d", cs.State.Terminated.ExitCode), err: providers.ErrWorkloadFailed}
		}
	}
	return nil
}

// waitReady polls the Deployment until it is ready, fails (at once, with its pod's last log
// lines reported to r and quoted in the error), or timeout passes (with the same report).
// redact are the values to take out of log lines.
func (p *Provider) waitReady(ctx context.Context, k *kube, ns, name string, timeout time.Duration, redact []string, r providers.Reporter) (*appsv1.Deployment, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		dep, err := k.apps.Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, k.classify("get deployment "+ns+"/"+name, err)
		}
		if ready(dep) {
			return dep, nil
		}
		f, err := k.podFailure(ctx, dep, p.cfg.CrashRestarts)
		if err != nil {
			return nil, err
		}
		if f != nil {
			return nil, k.workloadFailed(ctx, dep, f, redact, r)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("kubernetes: wait for deployment %s/%s: %w", ns, name, ctx.Err())
		case <-deadline.C:
			f, _ := k.podFailure(ctx, dep, 1)
			msg := fmt.Sprintf("kubernetes: deployment %s/%s is not ready after %v (%d of 1 replicas available)", ns, name, timeout, dep.Status.AvailableReplicas)
			if f != nil && f.pod != nil {
				lines := k.reportLastLines(ctx, f.pod, f.restarted, redact, r)
				msg += "; pod " + f.pod.Name + " " + f.why + lastLineNote(lines)
			}
			return nil, fmt.Errorf("%s: %w", msg, context.DeadlineExceeded)
		case <-time.After(p.cfg.PollInterval):
		}
	}
}

// workloadFailed reports the failing pod's last log lines and returns the permanent error,
// which names the pod, why it failed and its last line (or why there are none).
func (k *kube) workloadFailed(ctx context.Context, dep *appsv1.Deployment, f *failure, redact []string, r providers.Reporter) error {
	msg := fmt.Sprintf("kubernetes: deployment %s/%s %s", dep.Namespace, dep.Name, f.why)
	if f.pod != nil {
		msg = fmt.Sprintf("kubernetes: container %s of pod %s/%s %s", containerName, dep.Namespace, f.pod.Name, f.why)
		if errors.Is(f.err, providers.ErrWorkloadFailed) {
			msg += lastLineNote(k.reportLastLines(ctx, f.pod, f.restarted, redact, r))
		}
	}
	return fmt.Errorf("%s: %w", msg, f.err)
}

// lastLineNote is the part of an error that quotes the last log line.
func lastLineNote(lines []string) string {
	switch n := len(lines); {
	case lines == nil:
		return "; its logs are unavailable (see the job's log)"
	case n == 0:
		return "; it logged nothing"
	case n == 1:
		return fmt.Sprintf("; its last log line: %q", lines[0])
	default:
		return fmt.Sprintf("; its last log line: %q (the %d lines before it are in the job's log)", lines[n-1], n-1)
	}
}

// reportLastLines logs the container's last lines to r, prefixed with the pod's name, and
// returns them, redacted. Logs need a kubelet: when they cannot be read, that is logged and
// nil returned; it must not hide the real error.
func (k *kube) reportLastLines(ctx context.Context, pod *corev1.Pod, previous bool, redact []string, r providers.Reporter) []string {
	if pod.Spec.NodeName == "" {
		// The API server answers an empty log for a pod on no node; it is not "logged nothing".
		r.Log(fmt.Sprintf("pod %s: logs unavailable: the pod is on no node", pod.Name))
		return nil
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logsTimeout)
	defer cancel()
	tail := int64(logTailLines)
	raw, err := k.core.Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: containerName, TailLines: &tail, Previous: previous}).DoRaw(lctx)
	if err != nil {
		r.Log(fmt.Sprintf("pod %s: logs unavailable: %v", pod.Name, k.classify("read logs", err)))
		return nil
	}
	var red *secrets.Redactor
	if len(redact) > 0 {
		vals := make([]secrets.Value, 0, len(redact))
		for _, v := range redact {
			vals = append(vals, secrets.New(v))
		}
		red = secrets.NewRedactor(vals...)
	}
	lines := []string{}
	for _, l := range strings.Split(string(raw), "\n") {
		if l = strings.TrimRight(l, "\r\t "); l != "" {
			lines = append(lines, l)
		}
	}
	lines = lines[max(0, len(lines)-logTailLines):]
	r.Log(fmt.Sprintf("pod %s: last %d log lines:", pod.Name, len(lines)))
	for i, l := range lines {
		// Redacted whole, then cut: a cut could split a secret value and hide it.
		lines[i] = truncate(red.Redact(l), logLineMax)
		r.Log(pod.Name + ": " + lines[i])
	}
	return lines
}

// truncate bounds s to n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
