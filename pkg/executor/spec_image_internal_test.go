package executor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/jobs"
)

// TestSpecImage checks where the Spec's image comes from: the job's image (resolved by the
// action) when it carries one, else the config's ImageRef, which cannot resolve
// image_config.version on its own.
func TestSpecImage(t *testing.T) {
	t.Parallel()
	const versioned = `version: "3.0"
name: app
deployment:
  provider: docker
  image_config:
    registry: ghcr.io/pacphi/sindri
    version: "^3.0.0"
extensions:
  profile: minimal
`
	const pinned = `version: "3.0"
name: app
deployment:
  provider: docker
  image: ghcr.io/pacphi/sindri:v3.0.0
extensions:
  profile: minimal
`
	cases := []struct {
		name, text, image, want string
		kind                    jobs.Kind
		wantErr                 error
	}{
		{name: "resolved by the action", text: versioned, image: "ghcr.io/pacphi/sindri:v3.1.0", want: "ghcr.io/pacphi/sindri:v3.1.0"},
		{name: "job image cannot replace a pinned one", text: pinned, image: "ghcr.io/pacphi/sindri:v3.1.0", wantErr: jobs.ErrInvalid},
		{name: "job image from another repository", text: versioned, image: "evil.example/x:v3.1.0", wantErr: jobs.ErrInvalid},
		{name: "no job image: the config's", text: pinned, want: "ghcr.io/pacphi/sindri:v3.0.0"},
		{name: "no job image, version unresolved", text: versioned, wantErr: config.ErrImageNeedsResolver},
		{name: "destroy of a versioned config needs no image", text: versioned, kind: jobs.KindDestroy, want: ""},
		{name: "reap of a versioned config needs no image", text: versioned, kind: jobs.KindReap, want: ""},
		{name: "plan of a versioned config needs one", text: versioned, kind: jobs.KindPlan, wantErr: config.ErrImageNeedsResolver},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kind := tc.kind
			if kind == "" {
				kind = jobs.KindDeploy
			}
			j, err := jobs.New(kind, "app-pr-1", "docker")
			if err != nil {
				t.Fatal(err)
			}
			j.Generation = 1
			j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: tc.text}
			j.Image = tc.image
			s, err := specBuilder(LoadSindriConfig, time.Hour)(context.Background(), j)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Image != tc.want {
				t.Errorf("Spec.Image = %q, want %q", s.Image, tc.want)
			}
			if s.Config == nil {
				t.Error("Spec.Config is nil: the config must still be loaded and validated")
			}
		})
	}
}
