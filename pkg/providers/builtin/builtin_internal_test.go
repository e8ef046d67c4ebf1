package builtin

import (
	"maps"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// TestBuildPrecedence: the environment's SINDRI_<NAME>_<SETTING> wins over the block, and a
// setting set nowhere is absent from the constructor's map (so the provider's own default,
// such as a platform variable, applies).
func TestBuildPrecedence(t *testing.T) {
	t.Parallel()
	var got map[string]string
	e := Entry{Name: "stub", Settings: []string{"a", "b", "c"},
		New: func(_ func(string) string, s map[string]string) (providers.Provider, error) {
			got = s
			return nil, nil
		}}
	env := map[string]string{"SINDRI_STUB_A": "from-env", "SINDRI_STUB_B": ""}
	b := Block{Values: map[string]Value{"a": {Text: "from-file"}, "b": {Text: "file-b"}}}
	if _, err := e.build(func(k string) string { return env[k] }, b); err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"a": "from-env", "b": "file-b"}; !maps.Equal(got, want) {
		t.Errorf("settings = %v, want %v (an empty variable counts as unset)", got, want)
	}
}

func TestDockerConfig(t *testing.T) {
	t.Parallel()
	platform := map[string]string{"DOCKER_HOST": "tcp://platform:2376", "DOCKER_CERT_PATH": "/certs", "DOCKER_TLS_VERIFY": "1",
		"SINDRI_DOCKER_SEPARATE_NETWORK": "1"}
	tls := docker.Config{TLSCAFile: "/certs/ca.pem", TLSCertFile: "/certs/cert.pem", TLSKeyFile: "/certs/key.pem"}
	cases := []struct {
		name     string
		env      map[string]string
		settings map[string]string
		want     docker.Config
	}{
		{"platform variables keep working", platform, nil,
			docker.Config{Host: "tcp://platform:2376", SeparateNetwork: true, TLSCAFile: tls.TLSCAFile, TLSCertFile: tls.TLSCertFile, TLSKeyFile: tls.TLSKeyFile}},
		{"settings win", platform, map[string]string{"host": "unix:///run/d.sock", "tls_verify": "false", "separate_network": "false", "bind_address": "0.0.0.0"},
			docker.Config{Host: "unix:///run/d.sock", BindAddress: "0.0.0.0"}},
		{"tls from settings", nil, map[string]string{"host": "tcp://h:2376", "cert_path": "/certs", "tls_verify": "true"},
			docker.Config{Host: "tcp://h:2376", TLSCAFile: tls.TLSCAFile, TLSCertFile: tls.TLSCertFile, TLSKeyFile: tls.TLSKeyFile, SeparateNetwork: docker.InSeparateNetwork()}},
		{"public url from variables", map[string]string{"SINDRI_DOCKER_PUBLIC_URL": "https://{env}.env.example", "SINDRI_DOCKER_CADDY_ADMIN": "http://127.0.0.1:2019"}, nil,
			docker.Config{PublicURL: "https://{env}.env.example", CaddyAdmin: "http://127.0.0.1:2019", SeparateNetwork: docker.InSeparateNetwork()}},
		{"public url settings win", map[string]string{"SINDRI_DOCKER_PUBLIC_URL": "https://{env}.env.example"},
			map[string]string{"public_url": "http://{env}.file.example:8081", "caddy_admin": "http://127.0.0.1:2020", "caddy_listen": "127.0.0.1:8081"},
			docker.Config{PublicURL: "http://{env}.file.example:8081", CaddyAdmin: "http://127.0.0.1:2020", CaddyListen: "127.0.0.1:8081", SeparateNetwork: docker.InSeparateNetwork()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := dockerConfig(func(k string) string { return tc.env[k] }, tc.settings)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("dockerConfig =\n%+v, want\n%+v", got, tc.want)
			}
		})
	}
}

// The reaper's places come from the settings, else (OCI, Alibaba) the clouds' region
// variables.
func TestPackerPlaces(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OCI_REGION": "us-phoenix-1", "ALICLOUD_REGION": "cn-hangzhou"}
	got := packerPlaces(func(k string) string { return env[k] }, map[string]string{"alibaba_regions": "cn-beijing, ,cn-shanghai", "gcp_zones": "us-west1-a"})
	if o, a := got[config.CloudOCI], got[config.CloudAlibaba]; len(o) != 1 || o[0] != "us-phoenix-1" || len(a) != 2 || a[1] != "cn-shanghai" ||
		len(got[config.CloudGCP]) != 1 || len(got[config.CloudAzure]) != 0 {
		t.Errorf("places = %v", got)
	}
	if got := packerPlaces(func(string) string { return "" }, nil); len(got) != 0 {
		t.Errorf("places without settings or variables = %v, want none", got)
	}
}
