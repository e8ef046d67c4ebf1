package docker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

const fixtureDir = "../../../testdata/shared/fixtures/sindri-configs"

// TestFixturesResolveAndRender runs every shared docker fixture that pkg/config accepts through
// desired-state resolution and compose rendering, and has compose-go check the result.
func TestFixturesResolveAndRender(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.yaml"))
	if len(files) == 0 {
		t.Fatalf("no fixtures under %s", fixtureDir)
	}
	const value = "fixture-secret-value"
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := config.Load(f, data) // refused files are pkg/config's business
		if c == nil || c.ProviderName() != config.ProviderDocker {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			img, err := c.ImageRef()
			if err != nil {
				img = "sindri-test/hello:1"
			}
			s := &providers.Spec{Env: "fixture-env", Config: c, Image: img}
			for _, sec := range c.Secrets {
				sv := providers.SecretValue{Name: sec.Name, Value: plainSecret(value)}
				if sec.Source == config.SecretSourceFile {
					sv.MountPath, sv.Permissions = sec.MountPath, sec.Permissions
					if sv.MountPath == "" {
						sv.MountPath = "/secrets/" + filepath.Base(sec.Path)
					}
				}
				s.Secrets = append(s.Secrets, sv)
			}
			d, err := resolve(s, DefaultBindAddress, engineFacts{})
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			text, err := renderCompose(d)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(text, value) {
				t.Fatal("compose artifact holds a secret value")
			}
			_, err = loader.LoadWithContext(context.Background(), types.ConfigDetails{
				WorkingDir:  t.TempDir(),
				ConfigFiles: []types.ConfigFile{{Filename: "docker-compose.yml", Content: []byte(text)}},
				Environment: types.Mapping{},
			}, func(o *loader.Options) { o.SetProjectName(s.Env, true) })
			if err != nil {
				t.Fatalf("compose-go: %v\n%s", err, text)
			}
			if d.MemoryBytes <= 0 || d.CPUs < 1 {
				t.Errorf("resources %d bytes %d cpus", d.MemoryBytes, d.CPUs)
			}
		})
	}
	if n == 0 {
		t.Fatal("no docker fixture loaded; pkg/config or the fixtures changed")
	}
}
