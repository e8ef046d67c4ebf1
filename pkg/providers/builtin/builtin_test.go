package builtin_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/builtin"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestEnvVar(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ provider, setting, want string }{
		{"docker", "host", "SINDRI_DOCKER_HOST"},
		{"docker", "bind_address", "SINDRI_DOCKER_BIND_ADDRESS"},
		{"my-cloud", "api-url", "SINDRI_MY_CLOUD_API_URL"},
	} {
		if got := builtin.EnvVar(tc.provider, tc.setting); got != tc.want {
			t.Errorf("EnvVar(%q, %q) = %q, want %q", tc.provider, tc.setting, got, tc.want)
		}
	}
}

// TestEveryEntryFollowsTheRules walks the table: names and settings are well formed, and a
// provider builds from an empty environment (a constructor never fails for a missing
// credential); a provider that names credentials reports a missing one as ErrAuth naming it,
// from its first operation and from its readiness check. Every required credential is one of
// the provider's declared credentials, so it is never delivered into an environment.
func TestEveryEntryFollowsTheRules(t *testing.T) {
	t.Parallel()
	setting := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	for _, e := range builtin.Entries() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			for _, s := range e.Settings {
				if !setting.MatchString(s) {
					t.Errorf("setting %q is not snake_case", s)
				}
			}
			reg, err := builtin.Registry(envOf(nil), nil, []string{e.Name})
			if err != nil {
				t.Fatalf("Registry with an empty environment: %v", err)
			}
			p, err := reg.Get(e.Name)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name() != e.Name {
				t.Errorf("provider of row %q is named %q", e.Name, p.Name())
			}
			creds := e.Required
			for _, c := range creds {
				if !slices.Contains(p.Capabilities().Credentials, c) {
					t.Errorf("required credential %s is not in Capabilities.Credentials", c)
				}
			}
			if len(creds) == 0 {
				return
			}
			_, err = p.Status(context.Background(), &providers.Spec{Env: "rules-check"})
			if !errors.Is(err, providers.ErrAuth) || !strings.Contains(err.Error(), creds[0]) {
				t.Errorf("Status without credentials = %v, want ErrAuth naming %s", err, creds[0])
			}
			if c, ok := p.(providers.Checker); ok {
				if r := c.Check(context.Background()); r.Ready || !slices.Contains(r.Problems, creds[0]) {
					t.Errorf("Check without credentials = %+v, want not ready naming %s", r, creds[0])
				}
			}
		})
	}
}

func TestRegistryEnabled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		enabled []string
		want    []string
	}{
		{"empty means all", nil, slices.Sorted(slices.Values(builtin.Names()))}, // the registry lists by name
		{"one", []string{"docker"}, []string{"docker"}},
		{"names it does not build are the caller's", []string{"fake"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg, err := builtin.Registry(envOf(nil), nil, tc.enabled)
			if err != nil {
				t.Fatal(err)
			}
			if got := reg.Names(); !slices.Equal(got, tc.want) {
				t.Errorf("Names() = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRegistryErrorsNameTheirSource: every problem is reported at once, each with where it
// was set.
func TestRegistryErrorsNameTheirSource(t *testing.T) {
	t.Parallel()
	block := func(src string, kv ...string) builtin.Block {
		b := builtin.Block{Source: src, Values: map[string]builtin.Value{}}
		for i := 0; i < len(kv); i += 2 {
			b.Values[kv[i]] = builtin.Value{Text: kv[i+1], Source: src + ":" + kv[i]}
		}
		return b
	}
	cases := []struct {
		name   string
		env    map[string]string
		blocks map[string]builtin.Block
		wants  []string
	}{
		{"unknown provider lists the known", nil,
			map[string]builtin.Block{"dokcer": block("x.hcl:3:1"), "flyy": block("x.hcl:9:1")},
			[]string{`x.hcl:3:1: provider "dokcer" is not a built-in provider (built in: devpod, docker, e2b, fly, kubernetes, northflank, packer, runpod)`, `x.hcl:9:1: provider "flyy"`}},
		{"unknown attribute names its place and the settings", nil,
			map[string]builtin.Block{"docker": block("x.hcl:1:1", "hots", "tcp://h:2375")},
			[]string{`x.hcl:1:1:hots: provider "docker" has no setting "hots" (its settings: host, cert_path, tls_verify, bind_address, separate_network, public_url, caddy_admin, caddy_listen, ssh_config)`}},
		{"an empty kubeconfig setting", nil,
			map[string]builtin.Block{"kubernetes": block("x.hcl:4:1", "kubeconfig", "")},
			[]string{`x.hcl:4:1:kubeconfig: provider kubernetes: kubeconfig: empty`}},
		{"bad value from the file", nil,
			map[string]builtin.Block{"docker": block("x.hcl:2:1", "separate_network", "maybe")},
			[]string{`x.hcl:2:1:separate_network: provider docker: separate_network: "maybe" is not true or false`}},
		{"bad value from the environment wins over the file", map[string]string{"SINDRI_DOCKER_TLS_VERIFY": "sure"},
			map[string]builtin.Block{"docker": block("x.hcl:2:1", "tls_verify", "true")},
			[]string{`env SINDRI_DOCKER_TLS_VERIFY: provider docker: tls_verify: "sure" is not true or false`}},
		{"constructor error lists the settings' sources", nil,
			map[string]builtin.Block{"docker": block("x.hcl:4:1", "host", "::not a url", "bind_address", "127.0.0.1")},
			[]string{"provider docker (bind_address from x.hcl:4:1:bind_address, host from x.hcl:4:1:host)", "::not a url"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := builtin.Registry(envOf(tc.env), tc.blocks, nil)
			if err == nil {
				t.Fatal("Registry succeeded, want an error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func ExampleRegistry() {
	env := map[string]string{"SINDRI_DOCKER_HOST": "tcp://127.0.0.1:2375"}
	blocks := map[string]builtin.Block{"docker": {Source: "executor.hcl:7:1", Values: map[string]builtin.Value{
		"bind_address": {Text: "0.0.0.0", Source: "executor.hcl:8:18"},
	}}}
	reg, err := builtin.Registry(func(k string) string { return env[k] }, blocks, []string{"docker"})
	if err != nil {
		panic(err)
	}
	fmt.Println(reg.Names())
	// Output: [docker]
}
