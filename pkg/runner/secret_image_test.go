package runner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/action"
)

// TestRunSecretInImageReferenceRedacted: a secret value inside the configured image reference
// appears neither in what the action prints (log, summary, outputs) nor in the env record.
func TestRunSecretInImageReferenceRedacted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg := strings.Replace(testConfig, "image: sindri-test/hello:1", "image: registry.example/"+canary+"/hello:1", 1)
	if err := os.WriteFile(filepath.Join(h.dir, "sindri.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := h.run(prIntent(action.KindDeploy, "pull_request.opened")); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	if strings.Contains(h.out.String(), canary) {
		t.Errorf("the secret in the image reference appears in the action's output:\n%s", h.out.String())
	}
	rec, err := json.Marshal(h.record("preview-pr-7"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rec), canary) {
		t.Errorf("the env record holds the secret: %s", rec)
	}
}
