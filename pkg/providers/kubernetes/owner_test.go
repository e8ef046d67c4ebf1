package kubernetes

import (
	"context"
	"errors"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Objects of the environment's names that do not carry its labels are someone else's: Deploy
// refuses with ErrConflict (a forced apply would otherwise take them over), and teardown
// neither finds nor touches them.
func TestForeignObjectsAreNotOurs(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, Config{})
	ctx := context.Background()
	env := "foreign-" + randSuffix()
	ns := testNamespace(t, "ns-"+env)
	one := int32(1)
	sel := map[string]string{"app": "theirs"}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: env, Labels: sel}, Spec: appsv1.DeploymentSpec{Replicas: &one,
		Selector: &metav1.LabelSelector{MatchLabels: sel}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}}}
	if _, err := cluster.cs.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s := testSpec(env, ns)
	_, err := p.Deploy(ctx, s, nil)
	if !errors.Is(err, providers.ErrConflict) {
		t.Fatalf("Deploy over a foreign deployment: %v, want ErrConflict", err)
	}
	if st, err := p.Status(ctx, s); err != nil || st.State != providers.StateNotDeployed {
		t.Errorf("Status = %v, %v; want notdeployed", st, err)
	}
	if err := p.Stop(ctx, s); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Stop of a foreign deployment: %v, want ErrNotFound", err)
	}
	if err := p.Destroy(ctx, s); err != nil {
		t.Errorf("Destroy: %v", err)
	}
	got, err := cluster.cs.AppsV1().Deployments(ns).Get(ctx, env, metav1.GetOptions{})
	if err != nil || *got.Spec.Replicas != 1 {
		t.Errorf("the foreign deployment was touched: %v, %v", got, err)
	}
}
