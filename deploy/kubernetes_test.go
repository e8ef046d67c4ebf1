package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

const manifestsDir = "kubernetes"

// manifest is one YAML document of a file of manifestsDir.
type manifest struct {
	file string
	doc  []byte
}

// loadManifests reads the files the kustomization lists, in its order, split into documents,
// and fails when a YAML file of the folder is not listed (it would silently not be applied).
func loadManifests(t *testing.T) []manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(manifestsDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Namespace  string   `json:"namespace"`
		Resources  []string `json:"resources"`
	}
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(manifestsDir, "*.yaml"))
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(k.Resources, base) {
			t.Errorf("%s is not listed in kustomization.yaml's resources", f)
		}
	}
	var out []manifest
	for _, name := range k.Resources {
		b, err := os.ReadFile(filepath.Join(manifestsDir, name))
		if err != nil {
			t.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(bytes.TrimSpace(stripComments(doc))) > 0 {
				out = append(out, manifest{file: name, doc: doc})
			}
		}
	}
	return out
}

// TestKubernetesManifestsDecodeStrictly decodes every manifest into its typed API object with
// the strict decoder (an unknown or duplicated field is an error, as kubectl's server-side
// field validation would make it), and checks what the operations guide promises: three
// executors, probes on /healthz and /readyz, a preStop pause, resources, a grace period that
// covers the drain, the Secret and ConfigMap the pods mount.
func TestKubernetesManifestsDecodeStrictly(t *testing.T) {
	t.Parallel()
	dec := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	objs := map[string]runtime.Object{}
	for _, m := range loadManifests(t) {
		obj, gvk, err := dec.Decode(m.doc, nil, nil)
		if err != nil {
			t.Errorf("%s: %v", m.file, err)
			continue
		}
		objs[gvk.Kind] = obj
	}
	dep, ok := objs["Deployment"].(*appsv1.Deployment)
	if !ok {
		t.Fatalf("no Deployment among %v", slices.Collect(maps.Keys(objs)))
	}
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 3 {
		t.Errorf("replicas = %v, want 3", dep.Spec.Replicas)
	}
	pod := dep.Spec.Template.Spec
	c := pod.Containers[0]
	if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness probe %+v, want GET /healthz", p)
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe %+v, want GET /readyz", p)
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Fatalf("no preStop sleep (the image has no shell for an exec hook)")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}
	cm, ok := objs["ConfigMap"].(*corev1.ConfigMap)
	if !ok {
		t.Fatal("no ConfigMap")
	}
	drain := hclDuration(t, cm.Data["executor.hcl"], "drain_timeout")
	const executorGrace = 5 * time.Second // executor.DefaultDrainGrace
	need := drain + executorGrace + time.Duration(c.Lifecycle.PreStop.Sleep.Seconds)*time.Second
	if grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second; grace <= need {
		t.Errorf("terminationGracePeriodSeconds %s, want more than drain_timeout + grace + preStop = %s", grace, need)
	}
	sec, ok := objs["Secret"].(*corev1.Secret)
	if !ok {
		t.Fatal("no Secret")
	}
	for _, v := range pod.Volumes {
		switch {
		case v.Secret != nil && v.Secret.SecretName != sec.Name:
			t.Errorf("volume %s mounts Secret %s, the manifests define %s", v.Name, v.Secret.SecretName, sec.Name)
		case v.ConfigMap != nil && v.ConfigMap.Name != cm.Name:
			t.Errorf("volume %s mounts ConfigMap %s, the manifests define %s", v.Name, v.ConfigMap.Name, cm.Name)
		}
	}
	for _, key := range []string{"nats.creds", "secrets.key"} {
		if _, ok := sec.StringData[key]; !ok {
			t.Errorf("Secret lacks %s", key)
		} else if !strings.Contains(cm.Data["executor.hcl"], "/etc/sindri/secrets/"+key) {
			t.Errorf("executor.hcl does not read /etc/sindri/secrets/%s", key)
		}
	}
}

// TestKubernetesManifestsAcceptedByAPIServer applies every manifest to a real kube-apiserver
// (envtest) as a server-side dry-run, so the server's own validation and defaulting judge
// them; only the namespace is really created, since namespaced dry-runs need it.
func TestKubernetesManifestsAcceptedByAPIServer(t *testing.T) {
	if os.Getenv("SINDRI_HEAVY") != "1" {
		t.Skip("needs a real kube-apiserver: set SINDRI_HEAVY=1 (binaries from ENVTEST_ASSETS or scripts/tools.sh kube-apiserver)")
	}
	assets := os.Getenv("ENVTEST_ASSETS")
	if assets == "" {
		out, err := exec.Command(filepath.Join("..", "scripts", "tools.sh"), "kube-apiserver").Output()
		if err != nil {
			t.Fatalf("scripts/tools.sh kube-apiserver: %v", err)
		}
		assets = strings.TrimSpace(string(out))
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("envtest: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, m := range loadManifests(t) {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(m.doc, &u.Object); err != nil {
			t.Fatalf("%s: %v", m.file, err)
		}
		opts := []client.PatchOption{client.FieldOwner("sindri-deploy-test"), client.ForceOwnership}
		if u.GetKind() != "Namespace" {
			opts = append(opts, client.DryRunAll)
		}
		//nolint:staticcheck // Patch with client.Apply takes unstructured objects as they are.
		if err := c.Patch(ctx, u, client.Apply, opts...); err != nil {
			t.Errorf("%s: server-side apply of %s %s refused: %v", m.file, u.GetKind(), u.GetName(), err)
		}
	}
}

// hclDuration returns the duration attribute key of an executor.hcl text.
func hclDuration(t *testing.T, text, key string) time.Duration {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(l, "=")
		if ok && strings.TrimSpace(k) == key {
			d, err := time.ParseDuration(strings.Trim(strings.TrimSpace(v), `"`))
			if err != nil {
				t.Fatalf("executor.hcl %s: %v", key, err)
			}
			return d
		}
	}
	t.Fatalf("executor.hcl sets no %s", key)
	return 0
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, l := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.Bytes()
}

// TestKustomizationBuilds renders the kustomization with kubectl's built-in kustomize, as
// `kubectl apply -k` does, and decodes the result strictly: the kustomization itself is valid
// and yields every object of the files, in namespace sindri.
func TestKustomizationBuilds(t *testing.T) {
	t.Parallel()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed; the kustomization is not rendered")
	}
	out, err := exec.Command(kubectl, "kustomize", manifestsDir).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v", manifestsDir, err)
	}
	dec := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(out)))
	n := 0
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		obj, gvk, err := dec.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("rendered %v", err)
		}
		if m, ok := obj.(interface{ GetNamespace() string }); ok && gvk.Kind != "Namespace" && m.GetNamespace() != "sindri" {
			t.Errorf("%s in namespace %q, want sindri", gvk.Kind, m.GetNamespace())
		}
		n++
	}
	if want := len(loadManifests(t)); n != want {
		t.Errorf("kustomize rendered %d objects, the files hold %d", n, want)
	}
}
