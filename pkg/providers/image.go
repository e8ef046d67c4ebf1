package providers

import (
	"context"
	"time"
)

// ImageBuilder is implemented by providers that build VM images (Packer). The executor runs the
// image job kinds (image-build, image-validate, image-list, image-delete) only on providers that
// implement it; on others those jobs fail as unsupported without a call.
//
// Spec.Env names the image, Spec.Config carries the sindri.yaml whose providers.packer block
// describes it, and Spec.Labels the job's labels (to tag builder instances and images so that
// leftovers are findable). A build runs under a lease per image, never two at once.
type ImageBuilder interface {
	// BuildImage builds the image and returns it once the cloud has it. A cancelled build must
	// let the builder remove its temporary instance (Packer gets SIGINT).
	BuildImage(ctx context.Context, s *Spec, r Reporter) (*Image, error)
	// ValidateImage checks the rendered template without building.
	ValidateImage(ctx context.Context, s *Spec, r Reporter) error
	// ListImages lists the images this product built for the config's cloud and region.
	ListImages(ctx context.Context, s *Spec) ([]Image, error)
	// DeleteImage deletes image id (and its snapshots). A missing image is success.
	DeleteImage(ctx context.Context, s *Spec, id string) error
}

// Image is one built VM image.
type Image struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Cloud     string            `json:"cloud"`
	Region    string            `json:"region,omitempty"`
	CreatedAt *time.Time        `json:"created_at,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
}
