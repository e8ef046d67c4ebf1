package vm_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// On GCP an instance that stops on its own as it comes up is reported by Deploy at once with
// Compute Engine's status message, not at the timeout; Destroy then removes it.
func TestGCPFailingInstanceFailsFast(t *testing.T) {
	t.Parallel()
	p, f, key := newGCEFake(t)
	for _, im := range f.Images() {
		f.FailLaunches(im, "Instance terminated by guest OS shutdown.")
	}
	s := gcpSpec(t, "failing", key)
	deployFailsFast(t, p, s, "guest OS shutdown")
	if err := p.Destroy(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if left := f.Instances(gcpLabel(providers.LabelEnv), "failing"); len(left) != 0 {
		t.Errorf("instances left: %v", left)
	}
}

// image-list on GCP shows sindri's images of the config's image name (found by label),
// newest first; image-delete removes one, leaves a foreign image alone and succeeds on one
// already gone.
func TestImagesOnGCE(t *testing.T) {
	t.Parallel()
	p, f, key := newGCEFake(t)
	s := gcpSpec(t, "images", key)
	pc := s.Config.Providers.Packer
	old := f.Images()[0]
	f.AddImage("sindri-dev-newer", map[string]string{"sindri_dev_image": pc.ImageName, "sindri_dev_managed-by": "sindri-deploy"}, time.Now())
	f.AddImage("someone-elses", map[string]string{"sindri_dev_image": pc.ImageName}, time.Now())
	imageJobs(t, p, s, "us-central1-a", old, "sindri-dev-newer", "someone-elses", f.Images)
}

// A key that is not a service-account key, or a file that is missing, is one clear error
// naming the variable and never quoting the key.
func TestGCPBadKey(t *testing.T) {
	t.Parallel()
	p, _, _ := newGCEFake(t)
	dir := t.TempDir()
	notSA := filepath.Join(dir, "user.json")
	if err := os.WriteFile(notSA, []byte(`{"type":"authorized_user","client_secret":"do-not-print-me-1234"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{notSA: `"service_account"`, filepath.Join(dir, "missing.json"): "cannot be read"} {
		s := gcpSpec(t, "badkey", notSA)
		s.Credentials = []providers.SecretValue{{Name: "GOOGLE_APPLICATION_CREDENTIALS", Value: providertest.Canary(path)}}
		_, err := p.Deploy(t.Context(), s, nil)
		if !errors.Is(err, providers.ErrInvalidSpec) || !strings.Contains(err.Error(), "GOOGLE_APPLICATION_CREDENTIALS") ||
			!strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "do-not-print-me") {
			t.Errorf("Deploy with key %s: %v", filepath.Base(path), err)
		}
	}
}
