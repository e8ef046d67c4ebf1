package vm

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// paramsFile is a Plan artifact showing a form-encoded launch call: head, then each
// parameter sorted by name, the user data replaced by userDataRef (it is its own artifact).
func paramsFile(head string, params url.Values, userDataKey, userDataRef string) string {
	var b strings.Builder
	b.WriteString(head + "\n")
	for _, k := range slices.Sorted(maps.Keys(params)) {
		v := params.Get(k)
		if k == userDataKey {
			v = userDataRef
		}
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	return b.String()
}

// deleteWithStorage deletes image im, then the snapshots it was made of (im.Storage), which
// EC2 and ECS keep, billed, once the image is gone.
func deleteWithStorage(ctx context.Context, im Image, deleteImage, deleteSnapshot func(context.Context, string) error) error {
	if err := deleteImage(ctx, im.ID); err != nil {
		return fmt.Errorf("delete image %s: %w", im.ID, err)
	}
	for _, snap := range im.Storage {
		if err := deleteSnapshot(ctx, snap); err != nil {
			return fmt.Errorf("delete snapshot %s of image %s: %w", snap, im.ID, err)
		}
	}
	return nil
}
