package azure

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// maxPages bounds a list's pagination.
const maxPages = 100

func (c *Client) vmPath(name string) string {
	return strings.TrimPrefix(c.ResourceID("Microsoft.Compute/virtualMachines", url.PathEscape(name)), "/")
}

func apiVersion(v string) url.Values { return url.Values{"api-version": {v}} }

func gone(err error) error {
	if errors.Is(err, providers.ErrNotFound) {
		return nil
	}
	return err
}

// PutVM creates or updates vm (by name) and waits for the operation. A VM whose provisioning
// fails is an *OperationError (ErrWorkloadFailed for a guest that did not come up).
func (c *Client) PutVM(ctx context.Context, name string, vm VM) error {
	return c.do(ctx, rest.Request{Op: "create virtual machine " + name, Operation: "create virtual machine", Method: "PUT",
		Path: c.vmPath(name), Query: apiVersion(ComputeAPIVersion), Body: vm}, nil)
}

// GetVM returns VM name with its instance view; missing is ErrNotFound.
func (c *Client) GetVM(ctx context.Context, name string) (*VM, error) {
	q := apiVersion(ComputeAPIVersion)
	q.Set("$expand", "instanceView")
	var vm VM
	if err := c.rc.Do(ctx, rest.Request{Op: "get virtual machine " + name, Operation: "get virtual machine", Method: "GET",
		Path: c.vmPath(name), Query: q}, &vm); err != nil {
		return nil, err
	}
	return &vm, nil
}

// ListVMs returns the resource group's VMs with their instance views, following nextLink.
func (c *Client) ListVMs(ctx context.Context) ([]VM, error) {
	q := apiVersion(ComputeAPIVersion)
	q.Set("$expand", "instanceView")
	return list[VM](ctx, c, "list virtual machines", strings.TrimPrefix(c.ResourceID("Microsoft.Compute", "virtualMachines"), "/"), q)
}

// list reads a collection, following nextLink (on the same endpoint).
func list[T any](ctx context.Context, c *Client, op, path string, q url.Values) ([]T, error) {
	var out []T
	for range maxPages {
		var page struct {
			Value    []T    `json:"value"`
			NextLink string `json:"nextLink"`
		}
		if err := c.rc.Do(ctx, rest.Request{Op: op, Operation: op, Method: "GET", Path: path, Query: q}, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Value...)
		if page.NextLink == "" {
			return out, nil
		}
		u, err := url.Parse(page.NextLink)
		if err != nil || u.Host != c.base.Host {
			return nil, errors.New("azure: " + op + ": nextLink is not on the management endpoint")
		}
		path, q = strings.TrimPrefix(u.Path, c.base.Path), u.Query()
	}
	return nil, errors.New("azure: " + op + ": more than 100 pages")
}

// TagVM replaces VM name's tags.
func (c *Client) TagVM(ctx context.Context, name string, tags map[string]string) error {
	return c.do(ctx, rest.Request{Op: "tag virtual machine " + name, Operation: "tag virtual machine", Method: "PATCH",
		Path: c.vmPath(name), Query: apiVersion(ComputeAPIVersion), Body: map[string]any{"tags": tags}, Idempotent: true}, nil)
}

func (c *Client) vmAction(ctx context.Context, name, action string) error {
	return c.do(ctx, rest.Request{Op: action + " virtual machine " + name, Operation: action + " virtual machine", Method: "POST",
		Path: c.vmPath(name) + "/" + action, Query: apiVersion(ComputeAPIVersion), Idempotent: true}, nil)
}

// DeallocateVM stops VM name and releases its compute (no compute billing).
func (c *Client) DeallocateVM(ctx context.Context, name string) error {
	return c.vmAction(ctx, name, "deallocate")
}

// PowerOffVM stops VM name's guest; its compute stays allocated and billed.
func (c *Client) PowerOffVM(ctx context.Context, name string) error {
	return c.vmAction(ctx, name, "powerOff")
}

// StartVM starts VM name.
func (c *Client) StartVM(ctx context.Context, name string) error {
	return c.vmAction(ctx, name, "start")
}

// DeleteVM deletes VM name (and what was made to be deleted with it); gone is success.
func (c *Client) DeleteVM(ctx context.Context, name string) error {
	return gone(c.do(ctx, rest.Request{Op: "delete virtual machine " + name, Operation: "delete virtual machine", Method: "DELETE",
		Path: c.vmPath(name), Query: apiVersion(ComputeAPIVersion)}, nil))
}

func (c *Client) nicPath(name string) string {
	return strings.TrimPrefix(c.ResourceID("Microsoft.Network/networkInterfaces", url.PathEscape(name)), "/")
}

// PutNIC creates or updates NIC name and waits for it; it returns the NIC.
func (c *Client) PutNIC(ctx context.Context, name string, nic NIC) (*NIC, error) {
	var out NIC
	if err := c.do(ctx, rest.Request{Op: "create network interface " + name, Operation: "create network interface", Method: "PUT",
		Path: c.nicPath(name), Query: apiVersion(NetworkAPIVersion), Body: nic}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetNIC returns NIC name; missing is ErrNotFound.
func (c *Client) GetNIC(ctx context.Context, name string) (*NIC, error) {
	var out NIC
	if err := c.rc.Do(ctx, rest.Request{Op: "get network interface " + name, Operation: "get network interface", Method: "GET",
		Path: c.nicPath(name), Query: apiVersion(NetworkAPIVersion)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteNIC deletes NIC name; gone is success.
func (c *Client) DeleteNIC(ctx context.Context, name string) error {
	return gone(c.do(ctx, rest.Request{Op: "delete network interface " + name, Operation: "delete network interface", Method: "DELETE",
		Path: c.nicPath(name), Query: apiVersion(NetworkAPIVersion)}, nil))
}

// ListNICs returns the resource group's network interfaces.
func (c *Client) ListNICs(ctx context.Context) ([]NIC, error) {
	return list[NIC](ctx, c, "list network interfaces", strings.TrimPrefix(c.ResourceID("Microsoft.Network", "networkInterfaces"), "/"), apiVersion(NetworkAPIVersion))
}

func (c *Client) ipPath(name string) string {
	return strings.TrimPrefix(c.ResourceID("Microsoft.Network/publicIPAddresses", url.PathEscape(name)), "/")
}

// PutPublicIP creates or updates public IP name and waits for it; it returns the address.
func (c *Client) PutPublicIP(ctx context.Context, name string, ip PublicIP) (*PublicIP, error) {
	var out PublicIP
	if err := c.do(ctx, rest.Request{Op: "create public IP " + name, Operation: "create public IP", Method: "PUT",
		Path: c.ipPath(name), Query: apiVersion(NetworkAPIVersion), Body: ip}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetPublicIP returns public IP name; missing is ErrNotFound.
func (c *Client) GetPublicIP(ctx context.Context, name string) (*PublicIP, error) {
	var out PublicIP
	if err := c.rc.Do(ctx, rest.Request{Op: "get public IP " + name, Operation: "get public IP", Method: "GET",
		Path: c.ipPath(name), Query: apiVersion(NetworkAPIVersion)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListPublicIPs returns the resource group's public IP addresses.
func (c *Client) ListPublicIPs(ctx context.Context) ([]PublicIP, error) {
	return list[PublicIP](ctx, c, "list public IPs", strings.TrimPrefix(c.ResourceID("Microsoft.Network", "publicIPAddresses"), "/"), apiVersion(NetworkAPIVersion))
}

// DeletePublicIP deletes public IP name; gone is success.
func (c *Client) DeletePublicIP(ctx context.Context, name string) error {
	return gone(c.do(ctx, rest.Request{Op: "delete public IP " + name, Operation: "delete public IP", Method: "DELETE",
		Path: c.ipPath(name), Query: apiVersion(NetworkAPIVersion)}, nil))
}

// ListImages returns the resource group's managed images.
func (c *Client) ListImages(ctx context.Context) ([]Image, error) {
	return list[Image](ctx, c, "list images", strings.TrimPrefix(c.ResourceID("Microsoft.Compute", "images"), "/"), apiVersion(ComputeAPIVersion))
}

// imagePath is the path of image id (a resource id) or name in the client's group.
func (c *Client) imagePath(id string) string {
	if !strings.HasPrefix(id, "/") {
		id = c.ResourceID("Microsoft.Compute/images", url.PathEscape(id))
	}
	return strings.TrimPrefix(id, "/")
}

// GetImage returns image id (resource id or name); missing is ErrNotFound.
func (c *Client) GetImage(ctx context.Context, id string) (*Image, error) {
	var out Image
	if err := c.rc.Do(ctx, rest.Request{Op: "get image", Operation: "get image", Method: "GET", Path: c.imagePath(id),
		Query: apiVersion(ComputeAPIVersion)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteImage deletes image id (resource id or name); gone is success.
func (c *Client) DeleteImage(ctx context.Context, id string) error {
	return gone(c.do(ctx, rest.Request{Op: "delete image", Operation: "delete image", Method: "DELETE", Path: c.imagePath(id),
		Query: apiVersion(ComputeAPIVersion)}, nil))
}
