package executor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/jobs"
)

// fixturesDir holds the repository copy of the shared real-world configs.
const fixturesDir = "../../testdata/shared/fixtures/sindri-configs"

// fixture is one real-world config that validates.
type fixture struct {
	name string
	text []byte
	cfg  *config.Config
}

// validFixtures loads the real-world configs; those that do not validate are left out (each
// with its own error: covered in pkg/config).
func validFixtures(t *testing.T) []fixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixturesDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures at %s: %v", fixturesDir, err)
	}
	var out []fixture
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if cfg, err := LoadSindriConfig(filepath.Base(f), text); err == nil {
			out = append(out, fixture{name: f, text: text, cfg: cfg})
		}
	}
	return out
}

// Every real-world config that validates builds a Spec for every environment kind: configs
// that name no image (most e2b and devpod ones) used to fail each job, destroy included.
func TestSpecForEveryValidFixture(t *testing.T) {
	t.Parallel()
	build := specBuilder(LoadSindriConfig, time.Hour)
	imageless := map[config.ProviderName]int{}
	for _, fx := range validFixtures(t) {
		f, text, cfg := fx.name, fx.text, fx.cfg
		_, imgErr := cfg.ImageRef()
		for _, kind := range jobs.Kinds {
			if kind.Image() {
				continue
			}
			j, err := jobs.New(kind, "fixture-env", string(cfg.Deployment.Provider))
			if err != nil {
				t.Fatal(err)
			}
			j.Generation = 1
			j.Config = jobs.ConfigBlob{Path: filepath.Base(f), Text: string(text)}
			s, err := build(context.Background(), j)
			if err != nil && !(kind.NeedsConfig() && errorsIsResolver(imgErr)) {
				t.Errorf("%s: %s job: %v", filepath.Base(f), kind, err)
				continue
			}
			if err == nil && s.Config == nil {
				t.Errorf("%s: %s job: no config in the spec", filepath.Base(f), kind)
			}
		}
		if imgErr != nil && !errorsIsResolver(imgErr) {
			imageless[cfg.Deployment.Provider]++
		}
	}
	// The point of the test: imageless e2b and devpod configs are among those checked.
	if imageless[config.ProviderE2B] == 0 || imageless[config.ProviderDevPod] == 0 {
		t.Errorf("imageless fixtures per provider = %v, want e2b and devpod ones", imageless)
	}
}

func errorsIsResolver(err error) bool { return errors.Is(err, config.ErrImageNeedsResolver) }
