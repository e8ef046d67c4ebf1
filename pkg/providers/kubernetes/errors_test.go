package kubernetes

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/sindri/deploy/v3/pkg/providers"
)

func wantErr(t *testing.T, what string, err, sentinel error, contains ...string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("%s: %v, want an error wrapping %v", what, err, sentinel)
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("%s: error %q lacks %q", what, err, c)
		}
	}
}

// Sindri sizes are binary and "4GB" is no Kubernetes quantity: they are converted, and what
// cannot be is refused before any call, naming the field.
func TestQuantities(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"4GB": "4Gi", "10GB": "10Gi", "512MB": "512Mi", "1536MB": "1536Mi", "4Gi": "4Gi", "1TB": "1024Gi", "4gb": "4Gi"} {
		if got, err := quantity(in); err != nil || got != want {
			t.Errorf("quantity(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	p, _ := New(Config{})
	for _, bad := range []string{"4 gigs", "lots", "1.5GB", "0GB"} {
		s := testSpec("q-pr-1", "default")
		s.Config.Deployment.Resources.Memory = bad
		_, err := p.Plan(context.Background(), s)
		wantErr(t, "Plan with memory "+bad, err, providers.ErrInvalidSpec, "deployment.resources.memory", "4GB is sent as 4Gi")
	}
}

// Job ids, generations and expiry never reach the pod template or the hashes: a new job must
// not roll the pod, nor count as a change. The selector is fixed whatever the labels.
func TestVolatileLabelsStayOffThePodTemplate(t *testing.T) {
	t.Parallel()
	a, b := testSpec("vol-pr-1", "default"), testSpec("vol-pr-1", "default")
	b.Labels[providers.LabelJobID], b.Labels[providers.LabelGeneration], b.Labels[providers.LabelExpiresAt] = "job-2", "7", "2027-01-01T00:00:00Z"
	da, _ := resolve(a)
	db, _ := resolve(b)
	if da.hash() != db.hash() || da.podHash() != db.podHash() {
		t.Errorf("volatile labels changed the hashes")
	}
	dep := db.render(false, true).deployment
	for _, k := range []string{providers.LabelJobID, providers.LabelGeneration, providers.LabelExpiresAt} {
		if _, ok := dep.Spec.Template.Annotations[k]; ok {
			t.Errorf("%s is on the pod template", k)
		}
		if _, ok := dep.Spec.Template.Labels[k]; ok {
			t.Errorf("%s is a pod template label", k)
		}
	}
	if got := dep.Annotations[providers.LabelRepo]; got != "acme/web" {
		t.Errorf("repo annotation = %q, want acme/web (a label cannot hold '/')", got)
	}
	if _, ok := dep.Labels[providers.LabelRepo]; ok {
		t.Errorf("the repo is a label")
	}
	c := testSpec("vol-pr-1", "default")
	c.Labels[providers.LabelSHA] = "fff"
	dc, _ := resolve(c)
	if dc.podHash() != da.podHash() || dc.hash() == da.hash() {
		t.Errorf("a new sha label must change the config hash and not the pod template")
	}
	if sel := dep.Spec.Selector.MatchLabels; len(sel) != 2 || sel[labelInstance] != "vol-pr-1" || sel[labelApp] != appValue {
		t.Errorf("selector = %v", sel)
	}
}

// An unreachable cluster is a transient ErrUnavailable naming the server, for every verb.
func TestUnreachableCluster(t *testing.T) {
	t.Parallel()
	p, _ := New(Config{RESTConfig: &rest.Config{Host: "https://127.0.0.1:1"}})
	s := testSpec("gone-pr-1", "default")
	_, err := p.Deploy(context.Background(), s, nil)
	wantErr(t, "Deploy", err, providers.ErrUnavailable, "https://127.0.0.1:1 is unreachable")
	if !providers.IsRetryable(err) {
		t.Errorf("unreachable cluster: not retryable: %v", err)
	}
	_, err = p.Status(context.Background(), s)
	wantErr(t, "Status", err, providers.ErrUnavailable, "unreachable")
	pl, err := p.Plan(context.Background(), s)
	if err != nil || len(pl.Warnings) == 0 || !strings.Contains(pl.Warnings[0], "not observed") {
		t.Errorf("Plan with an unreachable cluster = %v, %v; want the manifests and a warning", pl, err)
	}
}

// writeKubeconfig writes a kubeconfig with contexts a (server :1) and b (server :2), current a.
func writeKubeconfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	data := `apiVersion: v1
kind: Config
current-context: a
clusters:
- name: a
  cluster: {server: "https://127.0.0.1:1"}
- name: b
  cluster: {server: "https://127.0.0.1:2"}
users:
- name: u
  user: {token: not-a-real-token}
contexts:
- name: a
  context: {cluster: a, user: u}
- name: b
  context: {cluster: b, user: u}
`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Where the kubeconfig comes from: the executor's (its path, its pinned context, the config's
// context) before the job's KUBECONFIG_DATA; none is ErrAuth naming the variable.
func TestKubeconfigSelection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := writeKubeconfig(t)
	s := testSpec("kc-pr-1", "default")

	p, _ := New(Config{})
	_, err := p.Deploy(ctx, s, nil)
	wantErr(t, "no kubeconfig", err, providers.ErrAuth, "KUBECONFIG", "KUBECONFIG_DATA")

	p, _ = New(Config{Kubeconfig: path})
	_, err = p.Status(ctx, s)
	wantErr(t, "current context a", err, providers.ErrUnavailable, "127.0.0.1:1")
	s.Config.Providers.Kubernetes.Context = "b"
	_, err = p.Status(ctx, s)
	wantErr(t, "config context b", err, providers.ErrUnavailable, "127.0.0.1:2")
	s.Config.Providers.Kubernetes.Context = "c"
	_, err = p.Status(ctx, s)
	wantErr(t, "unknown context", err, providers.ErrInvalidSpec, `"c"`, "a, b")

	p, _ = New(Config{Kubeconfig: path, Context: "a"})
	s.Config.Providers.Kubernetes.Context = "b"
	_, err = p.Status(ctx, s)
	wantErr(t, "pinned context", err, providers.ErrInvalidSpec, `pinned to context "a"`)

	data, _ := os.ReadFile(path)
	s.Config.Providers.Kubernetes.Context = ""
	s.Credentials = []providers.SecretValue{{Name: CredentialKubeconfig, Value: plainSecret(strings.Replace(string(data), "current-context: a", "current-context: b", 1))}}
	_, err = p.Status(ctx, s)
	wantErr(t, "the executor's kubeconfig wins", err, providers.ErrUnavailable, "127.0.0.1:1")
	p, _ = New(Config{})
	_, err = p.Status(ctx, s)
	wantErr(t, "the job's KUBECONFIG_DATA", err, providers.ErrUnavailable, "127.0.0.1:2")
	s.Credentials[0].Value = plainSecret("not: [a kubeconfig")
	_, err = p.Status(ctx, s)
	wantErr(t, "a bad KUBECONFIG_DATA", err, providers.ErrAuth, "KUBECONFIG_DATA is not a kubeconfig")
}

// A service account that may not create Deployments gets a clear ErrAuth naming the resource
// and the verb; the same account may not create namespaces either, and deploying into a
// namespace that does not exist says so. The account's kubeconfig is the job's
// KUBECONFIG_DATA, authenticated by certificate as system:serviceaccount:<ns>:deployer.
func TestRBACRefusals(t *testing.T) {
	t.Parallel()
	admin := needCluster(t)
	env := "rbac-" + randSuffix()
	ns := testNamespace(t, "ns-"+env)
	user := "system:serviceaccount:" + ns + ":deployer"
	ctx := context.Background()
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"secrets", "persistentvolumeclaims", "services"}, Verbs: []string{"get", "list", "create", "patch", "update", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}, Verbs: []string{"get", "list"}},
	}
	rbac := cluster.cs.RbacV1()
	if _, err := rbac.Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}, Rules: rules}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	subj := []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: user}}
	if _, err := rbac.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}, Subjects: subj,
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "deployer"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	crName := "read-namespaces-" + env
	if _, err := rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: crName},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: crName}, Subjects: subj,
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: crName}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	au, err := cluster.env.AddUser(envtest.User{Name: user, Groups: []string{"system:serviceaccounts"}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := au.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := New(Config{PollInterval: 100e6})
	s := testSpec(env, ns)
	s.Credentials = []providers.SecretValue{{Name: CredentialKubeconfig, Value: plainSecret(kc)}}
	_, err = p.Deploy(ctx, s, nil)
	t.Logf("refused: %v", err)
	wantErr(t, "Deploy without the right to create Deployments", err, providers.ErrAuth,
		"apply deployment "+ns+"/"+env, "HTTP 403", `deployments.apps "`+env+`" is forbidden`, user, "RBAC permission")
	if providers.IsRetryable(err) {
		t.Errorf("an RBAC refusal is retryable: %v", err)
	}
	if left := objectsOf(t, ns, env); len(left) > 0 {
		t.Errorf("the refused first deploy left %v; it must roll back what it made", left)
	}

	missing := testSpec(env, "missing-"+env)
	missing.Credentials = s.Credentials
	_, err = p.Deploy(ctx, missing, nil)
	t.Logf("missing namespace: %v", err)
	wantErr(t, "Deploy into a namespace that does not exist", err, providers.ErrAuth,
		"apply namespace missing-"+env+" (it does not exist)", "namespaces", "forbidden")
	var pe *providers.PartialError
	if errors.As(err, &pe) {
		t.Errorf("a refused namespace made nothing, yet the error is partial: %v", err)
	}
}

// Check names what is missing, and answers the server's version when it can reach it.
func TestCheck(t *testing.T) {
	t.Parallel()
	p, _ := New(Config{})
	if r := p.Check(context.Background()); r.Ready || len(r.Problems) != 1 || !strings.HasPrefix(r.Problems[0], "KUBECONFIG ") {
		t.Errorf("Check without a kubeconfig = %+v, want not ready naming KUBECONFIG", r)
	}
	p, _ = New(Config{RESTConfig: &rest.Config{Host: "https://127.0.0.1:1"}})
	if r := p.Check(context.Background()); r.Ready || !strings.Contains(strings.Join(r.Problems, ""), "unreachable") {
		t.Errorf("Check of an unreachable cluster = %+v", r)
	}
	if os.Getenv("SINDRI_HEAVY") == "1" {
		if r := newTestProvider(t, Config{}).Check(context.Background()); !r.Ready || r.Version != "v1.37.2" {
			t.Errorf("Check of the envtest cluster = %+v, want ready, v1.37.2", r)
		}
	}
}
