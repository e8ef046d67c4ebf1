package devpod

import (
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// The guide's DevPod example names no image: the workspace runs the released Sindri image,
// and the plan says so (it used to fail with "the config names no image").
func TestNoImageRunsTheReleasedImage(t *testing.T) {
	t.Parallel()
	c, diags := config.Load("sindri.yaml", []byte("version: \"3.0\"\nname: guide-devpod\ndeployment:\n  provider: devpod\nextensions:\n  profile: minimal\nproviders:\n  devpod:\n    type: docker\n"))
	if c == nil || diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	p := &Provider{}
	d, err := p.resolve(&providers.Spec{Env: "guide-devpod", Config: c})
	if err != nil {
		t.Fatal(err)
	}
	if want := config.DefaultImageFor(""); d.Image != want {
		t.Errorf("image = %q, want %q", d.Image, want)
	}
	if w := strings.Join(d.Warnings, "\n"); !strings.Contains(w, "no image named") {
		t.Errorf("warnings = %q, want one saying no image was named", w)
	}
}
