package azure

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

// Defaults of Config.
const (
	DefaultEndpoint      = "https://management.azure.com/"
	DefaultLoginEndpoint = "https://login.microsoftonline.com/"
	// Scope is the token scope for Resource Manager.
	Scope = "https://management.azure.com/.default"
	// ComputeAPIVersion and NetworkAPIVersion are the api-version of each provider's calls.
	ComputeAPIVersion = "2024-07-01"
	NetworkAPIVersion = "2024-05-01"
)

// Config configures a Client.
type Config struct {
	// Subscription and ResourceGroup are where the client works.
	Subscription, ResourceGroup string
	// TenantID, ClientID and ClientSecret are the service principal's.
	TenantID, ClientID, ClientSecret string
	// Endpoint replaces DefaultEndpoint, LoginEndpoint DefaultLoginEndpoint (tests: the fake).
	Endpoint, LoginEndpoint string
	// Options are the transport settings (PollInterval: how often an async operation is
	// read).
	cloudrest.Options
}

// Client calls Resource Manager in one subscription and resource group.
type Client struct {
	rc      *rest.Client
	base    *url.URL
	sub, rg string
	poll    time.Duration
}

func slashed(s string) string {
	if !strings.HasSuffix(s, "/") {
		return s + "/"
	}
	return s
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Subscription == "" || cfg.ResourceGroup == "" || cfg.TenantID == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("azure: subscription, resource group, tenant, client id and secret are required")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	if cfg.LoginEndpoint == "" {
		cfg.LoginEndpoint = DefaultLoginEndpoint
	}
	c := &Client{sub: cfg.Subscription, rg: cfg.ResourceGroup, poll: cfg.Poll()}
	var err error
	if c.base, err = url.Parse(slashed(cfg.Endpoint)); err != nil {
		return nil, fmt.Errorf("azure: endpoint: %w", err)
	}
	lcfg := cfg.Rest(slashed(cfg.LoginEndpoint), nil, cfg.ClientSecret)
	lcfg.Decode = decode
	login, err := rest.New(lcfg)
	if err != nil {
		return nil, err
	}
	req := rest.Request{Op: "get an access token", Operation: "oauth2 token", Method: "POST",
		Path: url.PathEscape(cfg.TenantID) + "/oauth2/v2.0/token", Idempotent: true,
		Form: url.Values{"grant_type": {"client_credentials"}, "client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret}, "scope": {Scope}}}
	ts := &cloudrest.Source{RC: login, Request: func(time.Time) (rest.Request, error) { return req, nil }}
	rcfg := cfg.Rest(c.base.String(), ts.Bearer, cfg.ClientSecret)
	rcfg.Decode, rcfg.RequestIDHeaders = decode, []string{"x-ms-request-id", "x-ms-correlation-request-id"}
	c.rc, err = rest.New(rcfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Scope is "subscription/resource-group".
func (c *Client) Scope() string { return c.sub + "/" + c.rg }

// ResourceID is the id of a resource of type typ ("Microsoft.Compute/virtualMachines") in
// the client's resource group.
func (c *Client) ResourceID(typ, name string) string {
	return "/subscriptions/" + c.sub + "/resourceGroups/" + c.rg + "/providers/" + typ + "/" + name
}

// errorBody is ARM's error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	// The identity platform answers {"error": "invalid_client", "error_description": ...}.
	Description string `json:"error_description"`
}

// codeCauses maps ARM error codes onto the providers sentinels; the one place this package
// decides.
var codeCauses = map[string]error{
	"ResourceNotFound":                 providers.ErrNotFound,
	"NotFound":                         providers.ErrNotFound,
	"ResourceGroupNotFound":            providers.ErrNotFound,
	"ImageNotFound":                    providers.ErrNotFound,
	"AuthenticationFailed":             providers.ErrAuth,
	"InvalidAuthenticationToken":       providers.ErrAuth,
	"ExpiredAuthenticationToken":       providers.ErrAuth,
	"AuthorizationFailed":              providers.ErrAuth,
	"LinkedAuthorizationFailed":        providers.ErrAuth,
	"SubscriptionNotFound":             providers.ErrAuth,
	"invalid_client":                   providers.ErrAuth,
	"unauthorized_client":              providers.ErrAuth,
	"invalid_request":                  providers.ErrAuth,
	"QuotaExceeded":                    providers.ErrQuota,
	"OperationNotAllowed":              providers.ErrQuota,
	"SkuNotAvailable":                  providers.ErrCapacity,
	"AllocationFailed":                 providers.ErrCapacity,
	"ZonalAllocationFailed":            providers.ErrCapacity,
	"OverconstrainedAllocationRequest": providers.ErrCapacity,
	"Conflict":                         providers.ErrConflict,
	"OperationPreempted":               providers.ErrConflict,
	"RetryableError":                   providers.ErrUnavailable,
	"TooManyRequests":                  providers.ErrUnavailable,
	"InternalServerError":              providers.ErrUnavailable,
	"InvalidParameter":                 providers.ErrInvalidSpec,
	"InvalidRequestContent":            providers.ErrInvalidSpec,
	"PropertyChangeNotAllowed":         providers.ErrInvalidSpec,
	"InvalidResourceReference":         providers.ErrInvalidSpec,
	"OSProvisioningTimedOut":           providers.ErrWorkloadFailed,
	"OSProvisioningClientError":        providers.ErrWorkloadFailed,
	"VMStartTimedOut":                  providers.ErrWorkloadFailed,
	"VMAgentStatusCommunicationError":  providers.ErrWorkloadFailed,
}

// Cause returns the sentinel an ARM error code means, or nil.
func Cause(code string) error { return codeCauses[code] }

func decode(status int, _ http.Header, body []byte) (code, message string, cause error) {
	var b errorBody
	if err := json.Unmarshal(body, &b); err == nil && b.Error.Code != "" {
		return b.Error.Code, b.Error.Message, Cause(b.Error.Code)
	}
	var idp struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &idp); err == nil && idp.Error != "" {
		return idp.Error, idp.Description, Cause(idp.Error)
	}
	if status == http.StatusUnauthorized {
		cause = providers.ErrAuth
	}
	return "", strings.TrimSpace(string(body)), cause
}

// OperationError is an async operation that ended Failed or Canceled.
type OperationError struct {
	Op, Status, Code, Message string
}

func (e *OperationError) Error() string {
	return fmt.Sprintf("azure: %s %s: %s: %s", e.Op, strings.ToLower(e.Status), e.Code, e.Message)
}

// Unwrap is the sentinel of the operation's error code.
func (e *OperationError) Unwrap() error { return Cause(e.Code) }

// do sends req and, when the answer names an Azure-AsyncOperation, follows it to its end.
func (c *Client) do(ctx context.Context, req rest.Request, out any) error {
	var reply rest.Reply
	req.Reply = &reply
	if err := c.rc.Do(ctx, req, out); err != nil {
		return err
	}
	async := reply.Header.Get("Azure-AsyncOperation")
	if async == "" {
		return nil
	}
	return c.follow(ctx, req.Op, async)
}

// follow polls the async operation URL until it ends.
func (c *Client) follow(ctx context.Context, op, async string) error {
	u, err := url.Parse(async)
	if err != nil || u.Host != c.base.Host || !strings.HasPrefix(u.Path, c.base.Path) {
		return fmt.Errorf("azure: %s: the async operation URL is not on the management endpoint", op)
	}
	path := strings.TrimPrefix(u.Path, c.base.Path)
	for {
		var st struct {
			Status string `json:"status"`
			Error  *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		err := c.rc.Do(ctx, rest.Request{Op: op + " (operation status)", Operation: "get operation status", Method: "GET", Path: path, Query: u.Query()}, &st)
		switch {
		case err != nil && !providers.IsRetryable(err):
			return err
		case err == nil && st.Status == "Succeeded":
			return nil
		case err == nil && (st.Status == "Failed" || st.Status == "Canceled"):
			e := &OperationError{Op: op, Status: st.Status}
			if st.Error != nil {
				e.Code, e.Message = st.Error.Code, st.Error.Message
			}
			return e
		}
		if err := ctxwait.Sleep(ctx, c.poll); err != nil {
			return fmt.Errorf("azure: %s: %w", op, err)
		}
	}
}
