package gce

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// maxPages bounds a list's pagination.
const maxPages = 100

// LabelFilter is the list filter matching every label of labels: (labels.k = "v") AND ...,
// keys sorted.
func LabelFilter(labels map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, fmt.Sprintf("(labels.%s = %q)", k, labels[k]))
	}
	return strings.Join(parts, " AND ")
}

// list follows nextPageToken over path with filter, appending each page's items.
func list[T any](ctx context.Context, c *Client, op, path, filter string) ([]T, error) {
	var out []T
	token := ""
	for range maxPages {
		q := url.Values{}
		if filter != "" {
			q.Set("filter", filter)
		}
		if token != "" {
			q.Set("pageToken", token)
		}
		var page struct {
			Items         []T    `json:"items"`
			NextPageToken string `json:"nextPageToken"`
		}
		if err := c.rc.Do(ctx, rest.Request{Op: op, Operation: op, Method: "GET", Path: path, Query: q}, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if token = page.NextPageToken; token == "" {
			return out, nil
		}
	}
	return nil, errors.New("gce: " + op + ": more than 100 pages")
}

// ListInstances returns the zone's instances that carry every label of labels.
func (c *Client) ListInstances(ctx context.Context, labels map[string]string) ([]Instance, error) {
	return list[Instance](ctx, c, "list instances", c.zonal("instances"), LabelFilter(labels))
}

// GetInstance returns instance name; a missing one is an error matching ErrNotFound.
func (c *Client) GetInstance(ctx context.Context, name string) (*Instance, error) {
	var in Instance
	err := c.rc.Do(ctx, rest.Request{Op: "get instance " + name, Operation: "get instance", Method: "GET",
		Path: c.zonal("instances/" + url.PathEscape(name))}, &in)
	if err != nil {
		return nil, err
	}
	return &in, nil
}

// InsertInstance creates in and waits for the operation. A lost answer is recovered by
// reading the instance by name; an instance of that name that exists already is taken as
// this insert's (the name is unique per Deploy).
func (c *Client) InsertInstance(ctx context.Context, in Instance) error {
	exists := func(ctx context.Context) (bool, error) {
		_, err := c.GetInstance(ctx, in.Name)
		if errors.Is(err, providers.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	err := c.call(ctx, rest.Request{Op: "insert instance " + in.Name, Operation: "insert instance", Method: "POST",
		Path: c.zonal("instances"), Body: in, Recover: exists}, true)
	if errors.Is(err, providers.ErrConflict) {
		if found, rerr := exists(ctx); rerr == nil && found {
			return nil
		}
	}
	return err
}

// action posts instances/name/verb and waits for the operation.
func (c *Client) action(ctx context.Context, name, verb string, body any) error {
	return c.call(ctx, rest.Request{Op: verb + " instance " + name, Operation: verb + " instance", Method: "POST",
		Path: c.zonal("instances/" + url.PathEscape(name) + "/" + verb), Body: body, Idempotent: true}, true)
}

// StopInstance stops instance name (TERMINATED, disk kept).
func (c *Client) StopInstance(ctx context.Context, name string) error {
	return c.action(ctx, name, "stop", nil)
}

// StartInstance starts the stopped instance name.
func (c *Client) StartInstance(ctx context.Context, name string) error {
	return c.action(ctx, name, "start", nil)
}

// SetLabels replaces instance name's labels; fingerprint is the labelFingerprint read last.
func (c *Client) SetLabels(ctx context.Context, name string, labels map[string]string, fingerprint string) error {
	return c.action(ctx, name, "setLabels", map[string]any{"labels": labels, "labelFingerprint": fingerprint})
}

// SetMetadata replaces instance name's metadata; md.Fingerprint is the one read last.
func (c *Client) SetMetadata(ctx context.Context, name string, md Metadata) error {
	return c.action(ctx, name, "setMetadata", md)
}

// DeleteInstance deletes instance name and its auto-delete disks; gone is success.
func (c *Client) DeleteInstance(ctx context.Context, name string) error {
	return gone(c.call(ctx, rest.Request{Op: "delete instance " + name, Operation: "delete instance", Method: "DELETE",
		Path: c.zonal("instances/" + url.PathEscape(name))}, true))
}

// ListImages returns the project's images that carry every label of labels.
func (c *Client) ListImages(ctx context.Context, labels map[string]string) ([]Image, error) {
	return list[Image](ctx, c, "list images", c.global("images"), LabelFilter(labels))
}

// GetImage returns image name; missing is an error matching ErrNotFound.
func (c *Client) GetImage(ctx context.Context, name string) (*Image, error) {
	var im Image
	if err := c.rc.Do(ctx, rest.Request{Op: "get image " + name, Operation: "get image", Method: "GET",
		Path: c.global("images/" + url.PathEscape(name))}, &im); err != nil {
		return nil, err
	}
	return &im, nil
}

// DeleteImage deletes image name; gone is success.
func (c *Client) DeleteImage(ctx context.Context, name string) error {
	return gone(c.call(ctx, rest.Request{Op: "delete image " + name, Operation: "delete image", Method: "DELETE",
		Path: c.global("images/" + url.PathEscape(name))}, false))
}

// DiskSize formats a size in GB as diskSizeGb (an int64 in a string).
func DiskSize(gb int) string { return strconv.Itoa(gb) }

func gone(err error) error {
	if errors.Is(err, providers.ErrNotFound) {
		return nil
	}
	return err
}
