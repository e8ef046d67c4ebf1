package gce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudrest"
)

// DefaultEndpoint is the Compute Engine v1 API root.
const DefaultEndpoint = "https://compute.googleapis.com/compute/v1/"

// Config configures a Client.
type Config struct {
	// Project and Zone are where the client works.
	Project, Zone string
	// Key is the service-account key (ParseKey).
	Key *Key
	// Endpoint replaces DefaultEndpoint (tests: the fake).
	Endpoint string
	// Options are the transport settings (PollInterval: how often an Operation is read
	// until DONE).
	cloudrest.Options
}

// Client calls Compute Engine for one project and zone.
type Client struct {
	rc      *rest.Client
	project string
	zone    string
	poll    time.Duration
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Key == nil || cfg.Project == "" || cfg.Zone == "" {
		return nil, errors.New("gce: a key, a project and a zone are required")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	if !strings.HasSuffix(cfg.Endpoint, "/") {
		cfg.Endpoint += "/"
	}
	ts, err := newTokenSource(cfg.Key, cfg)
	if err != nil {
		return nil, err
	}
	rcfg := cfg.Rest(cfg.Endpoint, ts.Bearer)
	rcfg.Decode = decode
	rc, err := rest.New(rcfg)
	if err != nil {
		return nil, err
	}
	return &Client{rc: rc, project: cfg.Project, zone: cfg.Zone, poll: cfg.Poll()}, nil
}

// Zone is the client's zone.
func (c *Client) Zone() string { return c.zone }

// Project is the client's project.
func (c *Client) Project() string { return c.project }

func (c *Client) zonal(rest string) string {
	return "projects/" + url.PathEscape(c.project) + "/zones/" + url.PathEscape(c.zone) + "/" + rest
}

func (c *Client) global(rest string) string {
	return "projects/" + url.PathEscape(c.project) + "/global/" + rest
}

// ImageURL is the partial URL of image name in project, as sourceImage takes it.
func ImageURL(project, name string) string { return "projects/" + project + "/global/images/" + name }

// MachineTypeURL is the partial URL of machine type name in zone.
func MachineTypeURL(zone, name string) string { return "zones/" + zone + "/machineTypes/" + name }

// errorBody is Google's error answer.
type errorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"errors"`
	} `json:"error"`
}

// reasonCauses maps Google error reasons (and operation error codes) onto the providers
// sentinels; the one place this package decides.
var reasonCauses = map[string]error{
	"notFound":                                  providers.ErrNotFound,
	"alreadyExists":                             providers.ErrConflict,
	"resourceInUseByAnotherResource":            providers.ErrConflict,
	"resourceNotReady":                          providers.ErrConflict,
	"conditionNotMet":                           providers.ErrConflict,
	"forbidden":                                 providers.ErrAuth,
	"insufficientPermissions":                   providers.ErrAuth,
	"authError":                                 providers.ErrAuth,
	"accessNotConfigured":                       providers.ErrAuth,
	"quotaExceeded":                             providers.ErrQuota,
	"QUOTA_EXCEEDED":                            providers.ErrQuota,
	"rateLimitExceeded":                         providers.ErrUnavailable,
	"userRateLimitExceeded":                     providers.ErrUnavailable,
	"backendError":                              providers.ErrUnavailable,
	"ZONE_RESOURCE_POOL_EXHAUSTED":              providers.ErrCapacity,
	"ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS": providers.ErrCapacity,
	"invalid":                                   providers.ErrInvalidSpec,
	"required":                                  providers.ErrInvalidSpec,
	"badRequest":                                providers.ErrInvalidSpec,
	"RESOURCE_NOT_FOUND":                        providers.ErrNotFound,
	"RESOURCE_ALREADY_EXISTS":                   providers.ErrConflict,
}

// Cause returns the sentinel a Google reason or operation error code means, or nil.
func Cause(reason string) error { return reasonCauses[reason] }

func decode(status int, _ http.Header, body []byte) (code, message string, cause error) {
	var b errorBody
	if err := json.Unmarshal(body, &b); err != nil || b.Error.Message == "" && len(b.Error.Errors) == 0 {
		return "", strings.TrimSpace(string(body)), nil
	}
	code, message = b.Error.Status, b.Error.Message
	if len(b.Error.Errors) > 0 {
		code = b.Error.Errors[0].Reason
		if message == "" {
			message = b.Error.Errors[0].Message
		}
	}
	cause = Cause(code)
	if cause == nil && status == http.StatusUnauthorized {
		cause = providers.ErrAuth
	}
	return code, message, cause
}

// Operation is a zonal or global Operation.
type Operation struct {
	Name          string `json:"name"`
	OperationType string `json:"operationType"`
	Status        string `json:"status"` // PENDING, RUNNING, DONE
	TargetLink    string `json:"targetLink"`
	Zone          string `json:"zone,omitempty"`
	Error         *struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	} `json:"error,omitempty"`
}

// OperationError is an Operation that ended DONE with errors.
type OperationError struct {
	Op, Code, Message string
}

func (e *OperationError) Error() string {
	return fmt.Sprintf("gce: operation %s failed: %s: %s", e.Op, e.Code, e.Message)
}

// Unwrap is the sentinel of the operation's error code.
func (e *OperationError) Unwrap() error { return Cause(e.Code) }

// wait polls op (zonal when zonal) until DONE and returns its error, if any.
func (c *Client) wait(ctx context.Context, op *Operation, zonal bool) error {
	for op.Status != "DONE" {
		if err := ctxwait.Sleep(ctx, c.poll); err != nil {
			return fmt.Errorf("gce: operation %s is %s: %w", op.Name, op.Status, err)
		}
		path := c.global("operations/" + url.PathEscape(op.Name))
		if zonal {
			path = c.zonal("operations/" + url.PathEscape(op.Name))
		}
		var next Operation
		if err := c.rc.Do(ctx, rest.Request{Op: "get operation " + op.Name, Operation: "get operation", Method: "GET", Path: path}, &next); err != nil {
			if providers.IsRetryable(err) {
				continue
			}
			return err
		}
		*op = next
	}
	if op.Error != nil && len(op.Error.Errors) > 0 {
		e := op.Error.Errors[0]
		return &OperationError{Op: op.OperationType, Code: e.Code, Message: e.Message}
	}
	return nil
}

// call sends req, which answers an Operation, and waits for it.
func (c *Client) call(ctx context.Context, req rest.Request, zonal bool) error {
	var op Operation
	if err := c.rc.Do(ctx, req, &op); err != nil {
		return err
	}
	if op.Name == "" {
		return nil // Recover found the change made: no operation to follow
	}
	return c.wait(ctx, &op, zonal)
}
