package runpod_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// The persistence column's exception: a RunPod CPU pod has no pod volume, so stop keeps
// nothing of it. Plan and Deploy say so, and no volume is made to be kept.
func TestCPUPodKeepsNothing(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t)
	env := "cpu-pr-7"
	c := loadConfig(t, "version: \"3.0\"\nname: cpu\ndeployment:\n  provider: runpod\n  image: ghcr.io/sindri/test:1\n"+
		"  volumes:\n    workspace: {size: 20GB}\nextensions:\n  profile: minimal\nproviders:\n  runpod: {cpuOnly: true}\n")
	s := &providers.Spec{Env: env, Config: c, Image: "ghcr.io/sindri/test:1",
		Labels: map[string]string{providers.LabelEnv: env, providers.LabelManagedBy: providers.ManagedByValue}}
	pl, err := p.Plan(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(pl.Warnings, func(w string) bool { return strings.Contains(w, "(lost on stop)") }) {
		t.Errorf("plan warnings %q do not say the CPU pod's files are lost on stop", pl.Warnings)
	}
	if _, err := p.Deploy(t.Context(), s, nil); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	if len(f.Pods(env)) != 1 || f.HomeVolume(env) != "" {
		t.Errorf("pods %v, home volume %q; want one pod and no volume", f.Pods(env), f.HomeVolume(env))
	}
}
