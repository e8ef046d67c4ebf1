package kubernetes

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Images the test controller treats specially: a crash-looping container, a pod no node can
// take, and a Deployment whose status it never writes.
const (
	crashImage  = "example.com/sindri/crashloop:1"
	noRoomImage = "example.com/sindri/noroom:1"
	stuckImage  = "example.com/sindri/stuck:1"
)

// cluster is the package's one envtest control plane (kube-apiserver and etcd, no
// controllers), started by the first heavy test and stopped by TestMain.
var cluster struct {
	once sync.Once
	env  *envtest.Environment
	cfg  *rest.Config
	cs   *kubernetes.Clientset
	err  error
	stop chan struct{}
	done chan struct{}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cluster.env != nil {
		close(cluster.stop)
		<-cluster.done
		_ = cluster.env.Stop()
	}
	os.Exit(code)
}

// needCluster skips unless SINDRI_HEAVY=1, and returns a REST config for the envtest API
// server, starting it (and the test controller) once. The binaries come from ENVTEST_ASSETS,
// else from scripts/tools.sh kube-apiserver, which builds them once into its cache.
func needCluster(t testing.TB) *rest.Config {
	t.Helper()
	if os.Getenv("SINDRI_HEAVY") != "1" {
		t.Skip("needs a real kube-apiserver: set SINDRI_HEAVY=1 (the binaries come from ENVTEST_ASSETS or scripts/tools.sh kube-apiserver, which builds them once, ~8.5 min cold)")
	}
	cluster.once.Do(startCluster)
	if cluster.err != nil {
		t.Fatalf("envtest: %v", cluster.err)
	}
	return rest.CopyConfig(cluster.cfg)
}

func startCluster() {
	assets := os.Getenv("ENVTEST_ASSETS")
	if assets == "" {
		cmd := exec.Command(filepath.Join("..", "..", "..", "scripts", "tools.sh"), "kube-apiserver")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		if cluster.err = cmd.Run(); cluster.err != nil {
			return
		}
		assets = strings.TrimSpace(out.String())
	}
	cluster.env = &envtest.Environment{BinaryAssetsDirectory: assets}
	if cluster.cfg, cluster.err = cluster.env.Start(); cluster.err != nil {
		cluster.env = nil
		return
	}
	cluster.cfg.QPS, cluster.cfg.Burst = 200, 400
	if cluster.cs, cluster.err = kubernetes.NewForConfig(cluster.cfg); cluster.err != nil {
		return
	}
	cluster.stop, cluster.done = make(chan struct{}), make(chan struct{})
	go controller(cluster.cs, cluster.stop, cluster.done)
}

// controller stands in for the controllers envtest does not run, for what the provider makes:
// the Deployment controller (status: observedGeneration, replica counts, Available; for
// crashImage a pod whose container is in CrashLoopBackOff instead) and the pvc-protection
// controller (a deleted PVC's finalizer goes, as no pod uses it).
func controller(cs *kubernetes.Clientset, stop, done chan struct{}) {
	defer close(done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	own := metav1.ListOptions{LabelSelector: providers.LabelManagedBy + "=" + providers.ManagedByValue}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if deps, err := cs.AppsV1().Deployments("").List(ctx, own); err == nil {
			for i := range deps.Items {
				syncDeployment(ctx, cs, &deps.Items[i])
			}
		}
		if pvcs, err := cs.CoreV1().PersistentVolumeClaims("").List(ctx, own); err == nil {
			for i := range pvcs.Items {
				if pvc := &pvcs.Items[i]; pvc.DeletionTimestamp != nil && len(pvc.Finalizers) > 0 {
					pvc.Finalizers = nil
					_, _ = cs.CoreV1().PersistentVolumeClaims(pvc.Namespace).Update(ctx, pvc, metav1.UpdateOptions{})
				}
			}
		}
	}
}

func syncDeployment(ctx context.Context, cs *kubernetes.Clientset, dep *appsv1.Deployment) {
	want := int32(1)
	if dep.Spec.Replicas != nil {
		want = *dep.Spec.Replicas
	}
	image := ""
	if cs := dep.Spec.Template.Spec.Containers; len(cs) > 0 {
		image = cs[0].Image
	}
	available := want
	switch {
	case image == stuckImage:
		return
	case want > 0 && (image == crashImage || image == noRoomImage):
		available = 0
		failingPod(ctx, cs, dep, image)
	}
	st := dep.Status
	if st.ObservedGeneration == dep.Generation && st.Replicas == want && st.AvailableReplicas == available && st.UpdatedReplicas == want {
		return
	}
	dep.Status = appsv1.DeploymentStatus{ObservedGeneration: dep.Generation, Replicas: want, UpdatedReplicas: want,
		ReadyReplicas: available, AvailableReplicas: available,
		Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"}}}
	_, _ = cs.AppsV1().Deployments(dep.Namespace).UpdateStatus(ctx, dep, metav1.UpdateOptions{})
}

// failingPod makes the Deployment's pod, of its current template, failing: for crashImage
// crash-looping, as a kubelet reports a container that keeps exiting with code 1; for
// noRoomImage unschedulable, as the scheduler reports a pod asking for GPUs no node has.
func failingPod(ctx context.Context, cs *kubernetes.Clientset, dep *appsv1.Deployment, image string) {
	pods := cs.CoreV1().Pods(dep.Namespace)
	name := dep.Name + "-crash"
	if _, err := pods.Get(ctx, name, metav1.GetOptions{}); err == nil {
		return
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: dep.Namespace,
		Labels: dep.Spec.Template.Labels, Annotations: dep.Spec.Template.Annotations}, Spec: dep.Spec.Template.Spec}
	// Bound to a node no kubelet serves: reading its logs fails, as when a node is gone.
	pod.Spec.NodeName = "envtest-node"
	if image == noRoomImage {
		pod.Spec.NodeName = ""
	}
	pod, err := pods.Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return
	}
	if image == noRoomImage {
		pod.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled,
			Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}}}
		_, _ = pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		return
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
		Name: containerName, Image: image, RestartCount: 3,
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}},
	}}}
	_, _ = pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
}

// testNamespace creates a fresh namespace (envtest never finishes deleting one, so every test
// has its own) that the provider did not create and must never delete.
func testNamespace(t testing.TB, name string) string {
	t.Helper()
	_, err := cluster.cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	return name
}

// objectsOf lists env's objects in ns by identity (resource/name/uid), deleted ones included,
// through a metadata client of the test's own, over every kind an environment may have.
func objectsOf(t testing.TB, ns, env string) []string {
	t.Helper()
	md, err := metadata.NewForConfig(cluster.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, gvr := range []schema.GroupVersionResource{
		{Group: "apps", Version: "v1", Resource: "deployments"}, {Version: "v1", Resource: "services"},
		{Version: "v1", Resource: "secrets"}, {Version: "v1", Resource: "persistentvolumeclaims"},
		{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}, {Version: "v1", Resource: "pods"},
	} {
		l, err := md.Resource(gvr).Namespace(ns).List(context.Background(), metav1.ListOptions{LabelSelector: providers.LabelEnv + "=" + env})
		if err != nil {
			t.Fatalf("list %s in %s: %v", gvr.Resource, ns, err)
		}
		for _, o := range l.Items {
			out = append(out, gvr.Resource+"/"+o.Name+"/"+string(o.UID))
		}
	}
	return out
}
