package alicloud

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudrest"
)

// APIVersion is the ECS API version every request names.
const APIVersion = "2014-05-26"

// Config configures a Client.
type Config struct {
	// Region is the region every call names (RegionId, "cn-hangzhou"). Required.
	Region string
	// Endpoint is the API root; "" means https://ecs.<Region>.aliyuncs.com.
	Endpoint string
	// Credentials sign every request; both parts are required.
	Credentials Credentials
	// Options are the transport settings (Provider: "" means "alicloud"; Now: the signing
	// clock). MaxRetries and BackoffBase also bound the client's own retries of throttled
	// (HTTP 400) answers; the Recorder records every request before it is signed.
	cloudrest.Options
}

// Client calls the ECS API of one region with one AccessKey. It is safe for concurrent use.
type Client struct {
	rc          *rest.Client
	region      string
	maxRetries  int
	backoffBase time.Duration
}

// New returns a Client for cfg. It returns an error naming the missing field (never a
// value) when the region or a credential part is missing, or when the endpoint is not an
// absolute http(s) URL.
func New(cfg Config) (*Client, error) {
	switch {
	case cfg.Region == "":
		return nil, errors.New("alicloud: region is required")
	case cfg.Credentials.AccessKeyID == "":
		return nil, errors.New("alicloud: ALICLOUD_ACCESS_KEY is required")
	case cfg.Credentials.AccessKeySecret == "":
		return nil, errors.New("alicloud: ALICLOUD_SECRET_KEY is required")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = "https://ecs." + cfg.Region + ".aliyuncs.com"
	}
	if cfg.Provider == "" {
		cfg.Provider = "alicloud"
	}
	now, cr := cfg.Clock(), cfg.Credentials
	rcfg := cfg.Signed(cfg.Endpoint, func(r *http.Request) error { return sign(r, cr, now()) }, cr.AccessKeySecret)
	rcfg.Decode = decode
	rc, err := rest.New(rcfg)
	if err != nil {
		return nil, err
	}
	c := &Client{rc: rc, region: cfg.Region, maxRetries: cfg.MaxRetries, backoffBase: cfg.BackoffBase}
	if c.maxRetries == 0 {
		c.maxRetries = rest.DefaultMaxRetries
	}
	if c.backoffBase <= 0 {
		c.backoffBase = rest.DefaultBackoffBase
	}
	return c, nil
}

// Region returns the client's region.
func (c *Client) Region() string { return c.region }

// DryRun returns a copy of c that records the calls that change something into rec without
// sending them, and still sends the Describe calls.
func (c *Client) DryRun(rec *rest.Recorder) *Client {
	d := *c
	d.rc = c.rc.DryRun(rec)
	return &d
}

// call sends action with params (the common ones added) and decodes the JSON answer into out.
// Every action sindri sends is safe to resend (RunInstances carries a ClientToken); readOnly
// marks the Describe calls, which a dry-run client still sends. A throttled answer (HTTP
// 400, code Throttling*) is retried here with exponential backoff, since the rest client
// retries by status only.
func (c *Client) call(ctx context.Context, action string, params url.Values, readOnly bool, out any) error {
	form := url.Values{"Action": {action}, "Version": {APIVersion}, "Format": {"JSON"}}
	for k, v := range params {
		form[k] = v
	}
	wait := c.backoffBase
	for attempt := 0; ; attempt++ {
		err := c.rc.Do(ctx, rest.Request{Op: action, Operation: action, Method: http.MethodPost, Path: "/", Form: form,
			Idempotent: true, ReadOnly: readOnly}, out)
		var ae *providers.APIError
		if err == nil || !errors.As(err, &ae) || !throttled(ae.Code) {
			return err
		}
		ae.Retryable = true
		if attempt >= c.maxRetries {
			return err
		}
		if err := ctxwait.Sleep(ctx, wait); err != nil {
			return errors.Join(err, ae)
		}
		wait = min(2*wait, rest.DefaultBackoffMax)
	}
}

// throttled reports ECS's flow-control codes (Throttling, Throttling.User, Throttling.Api).
func throttled(code string) bool {
	return code == "Throttling" || strings.HasPrefix(code, "Throttling.")
}
