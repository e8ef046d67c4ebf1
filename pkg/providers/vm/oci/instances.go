package oci

import (
	"context"
	"net/http"
	"net/url"

	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudrest"
)

// LaunchInstance launches one instance (PROVISIONING) with d. retryToken (opc-retry-token)
// makes a resent launch answer the instance the first one made; without it the call is not
// retried after an ambiguous failure.
func (c *Client) LaunchInstance(ctx context.Context, d LaunchDetails, retryToken string) (*Instance, error) {
	var out Instance
	req := rest.Request{Op: "launch instance", Operation: "launch instance", Method: http.MethodPost, Path: "instances", Body: d}
	if retryToken != "" {
		req.Header = http.Header{"Opc-Retry-Token": {retryToken}}
		req.Idempotent = true
	}
	if err := c.rc.Do(ctx, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetInstance returns instance id; an unknown one is an error matching providers.ErrNotFound.
func (c *Client) GetInstance(ctx context.Context, id string) (*Instance, error) {
	var out Instance
	if err := c.rc.Do(ctx, rest.Request{Op: "get instance", Operation: "get instance", Method: http.MethodGet, Path: "instances/" + url.PathEscape(id)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListInstances returns the compartment's instances, in lifecycleState when it is set
// (OCI filters on one state per call), following opc-next-page. Tags are not a server-side
// filter: callers filter on FreeformTags.
func (c *Client) ListInstances(ctx context.Context, compartmentID, lifecycleState string) ([]Instance, error) {
	q := url.Values{"compartmentId": {compartmentID}}
	if lifecycleState != "" {
		q.Set("lifecycleState", lifecycleState)
	}
	return list[Instance](ctx, c, "list instances", "instances", q)
}

// InstanceAction sends action (ActionStart, ActionStop, ActionSoftStop) to instance id and
// returns it as OCI answers (its state may still be the old one). An action the state does
// not allow is an error matching providers.ErrConflict (IncorrectState).
func (c *Client) InstanceAction(ctx context.Context, id, action, retryToken string) (*Instance, error) {
	var out Instance
	req := rest.Request{Op: "instance action " + action, Operation: "instance action", Method: http.MethodPost,
		Path: "instances/" + url.PathEscape(id), Query: url.Values{"action": {action}}, Idempotent: true}
	if retryToken != "" {
		req.Header = http.Header{"Opc-Retry-Token": {retryToken}}
	}
	if err := c.rc.Do(ctx, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateDetails is UpdateInstanceDetails, the field sindri changes: the freeform tags, which
// replace the instance's.
type UpdateDetails struct {
	FreeformTags map[string]string `json:"freeformTags"`
}

// UpdateInstance replaces instance id's freeform tags with d's and returns the instance.
func (c *Client) UpdateInstance(ctx context.Context, id string, d UpdateDetails) (*Instance, error) {
	var out Instance
	if err := c.rc.Do(ctx, rest.Request{Op: "update instance", Operation: "update instance", Method: http.MethodPut, Path: "instances/" + url.PathEscape(id), Body: d}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TerminateInstance terminates instance id and deletes its boot volume
// (preserveBootVolume=false); one already gone is success.
func (c *Client) TerminateInstance(ctx context.Context, id string) error {
	return cloudrest.IgnoreNotFound(c.rc.Do(ctx, rest.Request{Op: "terminate instance", Operation: "terminate instance", Method: http.MethodDelete,
		Path: "instances/" + url.PathEscape(id), Query: url.Values{"preserveBootVolume": {"false"}}}, nil))
}

// Addresses returns the public and private IP of instance id's primary VNIC ("" when there
// is none yet).
func (c *Client) Addresses(ctx context.Context, compartmentID, id string) (public, private string, err error) {
	atts, err := list[VnicAttachment](ctx, c, "list vnic attachments", "vnicAttachments",
		url.Values{"compartmentId": {compartmentID}, "instanceId": {id}})
	if err != nil {
		return "", "", err
	}
	for _, a := range atts {
		if a.VnicID == "" || a.LifecycleState != "ATTACHED" {
			continue
		}
		var v Vnic
		if err := c.rc.Do(ctx, rest.Request{Op: "get vnic", Operation: "get vnic", Method: http.MethodGet, Path: "vnics/" + url.PathEscape(a.VnicID)}, &v); err != nil {
			return "", "", err
		}
		if v.IsPrimary || private == "" {
			public, private = v.PublicIP, v.PrivateIP
		}
	}
	return public, private, nil
}
