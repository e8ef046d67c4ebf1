package kubernetes

import (
	"context"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// k8sConformance is the suite's configuration against the envtest API server: each subtest's
// env gets a fresh namespace the test makes (so the provider never deletes it, and envtest's
// never-ending namespace deletion does not matter); Leftovers and Inventory list what carries
// the env's label there, by uid.
func k8sConformance(t *testing.T, newProvider func(t *testing.T) providers.Provider) providertest.ConformanceConfig {
	inventory := func(t *testing.T, _ providers.Provider, env string) []string { return objectsOf(t, "ns-"+env, env) }
	return providertest.ConformanceConfig{
		NewProvider: newProvider,
		NewSpec: func(t *testing.T, env string) *providers.Spec {
			return testSpec(env, testNamespace(t, "ns-"+env))
		},
		Leftovers:   inventory,
		Inventory:   inventory,
		CancelSweep: 7, // Deploy's progress steps into an existing namespace
		Timeout:     time.Minute,
		// Stop scales the Deployment to 0 and keeps the PVC: the same claim (by uid) must be
		// the pod's home after Start.
		Persistence: &providertest.Persistence{HomeVolume: homeClaim},
	}
}

// homeClaim is the uid of the PVC the env's Deployment mounts as its home ("" when there is
// none), read from the API server: the claim the pod template names, then that claim.
func homeClaim(t *testing.T, _ providers.Provider, env string) string {
	t.Helper()
	ctx := context.Background()
	ns := "ns-" + env
	dep, err := cluster.cs.AppsV1().Deployments(ns).Get(ctx, env, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("home volume: %v", err)
	}
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name != "home" || v.PersistentVolumeClaim == nil {
			continue
		}
		pvc, err := cluster.cs.CoreV1().PersistentVolumeClaims(ns).Get(ctx, v.PersistentVolumeClaim.ClaimName, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("home volume: %v", err)
		}
		return string(pvc.UID)
	}
	return ""
}

// TestConformanceKubernetes runs the shared provider conformance suite against a real
// kube-apiserver (envtest), with the test's controller writing what the Deployment
// controller would.
func TestConformanceKubernetes(t *testing.T) {
	t.Parallel()
	needCluster(t)
	providertest.Conformance(t, k8sConformance(t, func(t *testing.T) providers.Provider {
		return newTestProvider(t, Config{})
	}))
}

// TestConformanceFaultsKubernetes runs the suite with the API server behind apifake's chaos
// profile (429 with Retry-After, 503, applies taken with their answer lost, delays), seeded
// by each subtest's name: every operation must converge to one environment and leave
// nothing after Destroy.
func TestConformanceFaultsKubernetes(t *testing.T) {
	t.Parallel()
	cfg := needCluster(t)
	var tally providertest.FaultTally
	tally.Require(t, "chaos 429", "chaos 503", "chaos lost apply")
	var proxies sync.Map // provider -> *apifake.Server
	cc := k8sConformance(t, func(t *testing.T) providers.Provider {
		api := faultProxy(t, cfg)
		p := newTestProvider(t, Config{RESTConfig: &rest.Config{Host: api.URL}})
		proxies.Store(p, api)
		return p
	})
	cc.RetryTransient = 20
	cc.Faults = func(t *testing.T, p providers.Provider) func() {
		v, _ := proxies.Load(p)
		api := v.(*apifake.Server)
		t.Cleanup(func() { tally.Add(api.Requests()) })
		api.Add(apifake.ChaosRules(apifake.DefaultChaosRate)...)
		api.Add(apifake.Rule{Name: "chaos lost apply", Route: "PATCH ", Probability: apifake.DefaultChaosRate, Action: apifake.ApplyThenDrop()})
		return api.ClearRules
	}
	providertest.Conformance(t, cc)
}

// faultProxy is an apifake server whose handler forwards every request to the envtest API
// server with the test's credentials: its rules then fault the provider's traffic.
func faultProxy(t *testing.T, cfg *rest.Config) *apifake.Server {
	t.Helper()
	target, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := rest.TransportFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = tr
	return apifake.New(t, http.Handler(rp), apifake.WithName("kube-apiserver"), apifake.WithSeed(providertest.FaultSeed(t)))
}
