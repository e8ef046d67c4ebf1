package northflank_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/northflank"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/golden"
)

// TestPlanGolden pins the exact calls, warnings, actions, cost and service body of Plan for
// every shared fixture config that loads and targets northflank (go test
// ./pkg/providers/northflank/ -run TestPlanGolden -update). Fixtures the config refuses
// (v3-northflank-systems: healthCheck type TCP; v3-provider-comparison: no Northflank A4000)
// have no plan.
func TestPlanGolden(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "..", "testdata", "shared", "fixtures")
	files, _ := filepath.Glob(filepath.Join(root, "sindri-configs", "*.yaml"))
	files = append(files, filepath.Join(root, "guide-examples", "northflank.sindri.yaml"))
	n := 0
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		c, diags := config.Load(filepath.Base(file), src)
		if c == nil || diags.HasErrors() || c.ProviderName() != config.ProviderNorthflank {
			continue
		}
		n++
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(file), ".yaml"), ".sindri")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			img, err := c.ImageRef()
			if err != nil {
				t.Fatal(err)
			}
			p, _ := newTestProvider(t)
			s := &providers.Spec{Env: "pr-42", Config: c, Image: img,
				Labels:  map[string]string{providers.LabelEnv: "pr-42", providers.LabelRepo: "o/r", providers.LabelPR: "42"},
				Secrets: []providers.SecretValue{{Name: "GITHUB_TOKEN", Value: providertest.Canary("ghp_canary_value")}}}
			pl, err := p.Plan(ctxFor(t), s)
			if err != nil {
				t.Fatal(err)
			}
			got := providertest.PlanText(pl, northflank.ArtifactService)
			if strings.Contains(got, "ghp_canary_value") || strings.Contains(got, testToken) {
				t.Fatal("a secret reached the plan")
			}
			golden.Compare(t, filepath.Join("testdata", "plan", name+".golden"), []byte(got))
		})
	}
	if n < 5 {
		t.Fatalf("%d northflank fixtures loaded, want the 5 that load", n)
	}
}
