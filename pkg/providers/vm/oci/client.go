package oci

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudrest"
)

// APIVersion is the Core Services API version, the first segment of every path.
const APIVersion = "20160918"

// Config configures a Client.
type Config struct {
	// Region is the OCI region ("us-phoenix-1"). Required.
	Region string
	// Endpoint is the API root without the version; "" means
	// https://iaas.<Region>.oraclecloud.com.
	Endpoint string
	// Credentials sign every request; all four parts are required.
	Credentials Credentials
	// Options are the transport settings (Provider: "" means "oci"; Now: the signing clock).
	// The Recorder records every request (no signature is ever recorded).
	cloudrest.Options
}

// Client calls the Core Services API of one region with one API key. It is safe for
// concurrent use.
type Client struct {
	rc     *rest.Client
	region string
}

// New returns a Client for cfg. It returns an error naming the missing field (never a value)
// when the region or a credential part is missing, or when the endpoint is not an absolute
// http(s) URL.
func New(cfg Config) (*Client, error) {
	switch {
	case cfg.Region == "":
		return nil, errors.New("oci: region is required (OCI_REGION)")
	case cfg.Credentials.TenancyOCID == "":
		return nil, errors.New("oci: OCI_TENANCY_OCID is required")
	case cfg.Credentials.UserOCID == "":
		return nil, errors.New("oci: OCI_USER_OCID is required")
	case cfg.Credentials.Fingerprint == "":
		return nil, errors.New("oci: OCI_FINGERPRINT is required")
	case cfg.Credentials.PrivateKey == nil:
		return nil, errors.New("oci: the API signing key is required (OCI_KEY_FILE)")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = "https://iaas." + cfg.Region + ".oraclecloud.com"
	}
	if cfg.Provider == "" {
		cfg.Provider = "oci"
	}
	now, cr := cfg.Clock(), cfg.Credentials
	rcfg := cfg.Signed(cfg.Endpoint+"/"+APIVersion, func(r *http.Request) error { return sign(r, cr, now()) })
	rcfg.RequestIDHeaders, rcfg.Decode = []string{"Opc-Request-Id"}, decode
	rc, err := rest.New(rcfg)
	if err != nil {
		return nil, err
	}
	return &Client{rc: rc, region: cfg.Region}, nil
}

// Region returns the client's region.
func (c *Client) Region() string { return c.region }

// DryRun returns a copy of c that records the calls that change something into rec without
// sending them, and still sends the reads.
func (c *Client) DryRun(rec *rest.Recorder) *Client {
	return &Client{rc: c.rc.DryRun(rec), region: c.region}
}

// maxPages bounds a list's pagination (a looping opc-next-page is a platform bug).
const maxPages = 100

// list GETs path with q page after page (opc-next-page), appending each page's items. op is a
// fixed phrase (it names the request in metrics), without ids.
func list[T any](ctx context.Context, c *Client, op, path string, q url.Values) ([]T, error) {
	var out []T
	for range maxPages {
		var page []T
		var reply rest.Reply
		if err := c.rc.Do(ctx, rest.Request{Op: op, Operation: op, Method: http.MethodGet, Path: path, Query: q, Reply: &reply}, &page); err != nil {
			return nil, err
		}
		out = append(out, page...)
		next := reply.Header.Get("Opc-Next-Page")
		if next == "" {
			return out, nil
		}
		q = cloneValues(q)
		q.Set("page", next)
	}
	return nil, errors.New("oci: " + op + ": more than 100 pages")
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
