package vm_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
)

// image-list shows only sindri's images of the config's image name, newest first;
// image-delete removes one with its snapshot, leaves a foreign AMI alone, and succeeds on an
// image already gone.
func TestImagesOnEC2(t *testing.T) {
	t.Parallel()
	p, f := newEnvFake(t) // holds the config's image, an hour old
	s := envSpec(t, "images")
	pc := s.Config.Providers.Packer
	old := f.Images()[0]
	newer := f.AddImage("sindri-dev-newer", map[string]string{"sindri.dev/image": pc.ImageName, "sindri.dev/managed-by": "sindri-deploy"}, time.Now())
	foreign := f.AddImage("someone-elses", map[string]string{"sindri.dev/image": pc.ImageName}, time.Now())
	got, err := p.ListImages(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != newer || got[1].ID != old || got[0].Region != "us-west-2" {
		t.Fatalf("ListImages = %+v, want %s then %s", got, newer, old)
	}
	snaps := len(f.Snapshots())
	if err := p.DeleteImage(t.Context(), s, foreign); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(f.Images(), foreign) || len(f.Snapshots()) != snaps {
		t.Errorf("a foreign image was deleted")
	}
	for range 2 {
		if err := p.DeleteImage(t.Context(), s, old); err != nil {
			t.Fatal(err)
		}
	}
	if slices.Contains(f.Images(), old) || len(f.Snapshots()) != snaps-1 {
		t.Errorf("images %v snapshots %v after deleting %s", f.Images(), f.Snapshots(), old)
	}
}

// imageJobs checks image-list and image-delete against a fake holding old (built from s's
// config), newer (sindri's, same image name) and foreign (the image name without sindri's
// managed-by tag), whose ids images lists: the list is newer then old in region with
// neutral labels; deleting foreign leaves it; deleting old twice removes it and succeeds.
func imageJobs(t *testing.T, p *vm.Provider, s *providers.Spec, region, old, newer, foreign string, images func() []string) {
	t.Helper()
	got, err := p.ListImages(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != newer || got[1].ID != old || got[0].Region != region ||
		got[0].Labels["sindri.dev/image"] != s.Config.Providers.Packer.ImageName {
		t.Fatalf("ListImages = %+v, want %s then %s in %s with neutral labels", got, newer, old, region)
	}
	if err := p.DeleteImage(t.Context(), s, foreign); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(images(), foreign) {
		t.Errorf("a foreign image was deleted")
	}
	for range 2 {
		if err := p.DeleteImage(t.Context(), s, old); err != nil {
			t.Fatal(err)
		}
	}
	if slices.Contains(images(), old) {
		t.Errorf("images %v after deleting %s", images(), old)
	}
}
