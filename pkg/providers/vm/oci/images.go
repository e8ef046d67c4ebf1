package oci

import (
	"context"
	"net/http"
	"net/url"

	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudrest"
)

// ListImages returns the compartment's custom images (those in the compartment, newest
// first), following opc-next-page. Tags are filtered by the caller.
func (c *Client) ListImages(ctx context.Context, compartmentID string) ([]Image, error) {
	q := url.Values{"compartmentId": {compartmentID}, "sortBy": {"TIMECREATED"}, "sortOrder": {"DESC"}}
	return list[Image](ctx, c, "list images", "images", q)
}

// GetImage returns image id; an unknown one is an error matching providers.ErrNotFound.
func (c *Client) GetImage(ctx context.Context, id string) (*Image, error) {
	var out Image
	if err := c.rc.Do(ctx, rest.Request{Op: "get image", Operation: "get image", Method: http.MethodGet, Path: "images/" + url.PathEscape(id)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteImage deletes image id; one already gone is success.
func (c *Client) DeleteImage(ctx context.Context, id string) error {
	return cloudrest.IgnoreNotFound(c.rc.Do(ctx, rest.Request{Op: "delete image", Operation: "delete image", Method: http.MethodDelete, Path: "images/" + url.PathEscape(id)}, nil))
}
