package kubernetes

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Updates in place: a rotated secret value rolls the pod (its template changes), a new sha
// label does not; a dropped secret and a disabled ingress are deleted; Force re-applies what
// was edited by hand (the forced apply wins over the other field manager).
func TestUpdatesInPlace(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, Config{})
	ctx := context.Background()
	env := "upd-" + randSuffix()
	ns := testNamespace(t, "ns-"+env)
	s := testSpec(env, ns)
	deps := cluster.cs.AppsV1().Deployments(ns)
	get := func() *appsv1.Deployment {
		t.Helper()
		d, err := deps.Get(ctx, env, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	deploy := func(what string, wantChanged bool) *appsv1.Deployment {
		t.Helper()
		d, err := p.Deploy(ctx, s, nil)
		if err != nil {
			t.Fatalf("%s: Deploy: %v", what, err)
		}
		if d.Changed != wantChanged {
			t.Errorf("%s: Changed = %v, want %v", what, d.Changed, wantChanged)
		}
		return get()
	}
	first := deploy("first", true)

	s.Labels[providers.LabelSHA] = "fff0001"
	relabelled := deploy("new sha", true)
	// (metadata.generation moves with any annotation of a Deployment; the template is what
	// makes a new ReplicaSet.)
	podHash := func(d *appsv1.Deployment) string { return d.Spec.Template.Annotations[annoPodHash] }
	if podHash(relabelled) != podHash(first) {
		t.Errorf("a new sha label changed the pod template")
	}

	s.Secrets[0].Value = plainSecret("rotated-" + env)
	rotated := deploy("rotated secret", true)
	if podHash(rotated) == podHash(relabelled) {
		t.Errorf("a rotated secret value did not change the pod template")
	}

	s.Secrets = nil
	s.Config.Providers.Kubernetes.Ingress = &config.IngressConfig{Enabled: true, Hostname: "upd.example.com"}
	noSecrets := deploy("secrets dropped, ingress on", true)
	if len(noSecrets.Spec.Template.Spec.Containers[0].EnvFrom) != 0 {
		t.Errorf("envFrom still set after the secrets were dropped")
	}
	if _, err := cluster.cs.CoreV1().Secrets(ns).Get(ctx, secretName(env), metav1.GetOptions{}); err == nil {
		t.Errorf("secret %s left after the config dropped its secrets", secretName(env))
	}
	if _, err := cluster.cs.NetworkingV1().Ingresses(ns).Get(ctx, env, metav1.GetOptions{}); err != nil {
		t.Errorf("ingress: %v", err)
	}
	s.Config.Providers.Kubernetes.Ingress = nil
	deploy("ingress off", true)
	if _, err := cluster.cs.NetworkingV1().Ingresses(ns).Get(ctx, env, metav1.GetOptions{}); err == nil {
		t.Errorf("ingress left after it was disabled")
	}

	edited := get()
	edited.Spec.Template.Spec.Containers[0].Image = "example.com/edited:by-hand"
	if _, err := deps.Update(ctx, edited, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	if got := deploy("after a hand edit", false).Spec.Template.Spec.Containers[0].Image; got != "example.com/edited:by-hand" {
		t.Fatalf("image = %s: an unchanged deploy applies nothing", got)
	}
	s.Options.Force = true
	if got := deploy("forced", true).Spec.Template.Spec.Containers[0].Image; got != testImage {
		t.Errorf("forced deploy: image = %s, want %s back", got, testImage)
	}
}
