package ec2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudrest"
)

// APIVersion is the EC2 API version every request names.
const APIVersion = "2016-11-15"

// Service is EC2's name in Signature Version 4 credential scopes.
const Service = "ec2"

// Credentials are an AWS access key (and the session token of temporary credentials).
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Config configures a Client.
type Config struct {
	// Region is the AWS region every call goes to ("us-west-2"). Required.
	Region string
	// Endpoint is the API root; "" means https://ec2.<Region>.amazonaws.com.
	Endpoint string
	// Credentials sign every request. AccessKeyID and SecretAccessKey are required.
	Credentials Credentials
	// Options are the transport settings (Provider: "" means "ec2"; Now: the signing
	// clock). The Recorder records every request, credentials removed.
	cloudrest.Options
}

// Client calls the EC2 Query API of one region with one credential. It is safe for
// concurrent use.
type Client struct {
	rc     *rest.Client
	region string
}

// New returns a Client for cfg. It returns an error when Region or a credential part is
// missing or the endpoint is not an absolute http(s) URL; the error names the field, never
// a value.
func New(cfg Config) (*Client, error) {
	switch {
	case cfg.Region == "":
		return nil, errors.New("ec2: region is required")
	case cfg.Credentials.AccessKeyID == "":
		return nil, errors.New("ec2: AWS_ACCESS_KEY_ID is required")
	case cfg.Credentials.SecretAccessKey == "":
		return nil, errors.New("ec2: AWS_SECRET_ACCESS_KEY is required")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = "https://ec2." + cfg.Region + ".amazonaws.com"
	}
	if cfg.Provider == "" {
		cfg.Provider = "ec2"
	}
	secrets := []string{cfg.Credentials.SecretAccessKey}
	if cfg.Credentials.SessionToken != "" {
		secrets = append(secrets, cfg.Credentials.SessionToken)
	}
	rcfg := cfg.Rest(cfg.Endpoint, signer(cfg.Credentials, cfg.Region, cfg.Clock()), secrets...)
	rcfg.RequestIDHeaders = []string{"X-Amzn-Requestid", "X-Amz-Request-Id"}
	rcfg.Decode, rcfg.Unmarshal, rcfg.Accept = decode, xml.Unmarshal, "text/xml"
	rc, err := rest.New(rcfg)
	if err != nil {
		return nil, err
	}
	return &Client{rc: rc, region: cfg.Region}, nil
}

// Region returns the client's region.
func (c *Client) Region() string { return c.region }

// DryRun returns a copy of c that records the calls that change something into rec without
// sending them, and still sends (and records) the Describe calls: a Plan's view of EC2.
func (c *Client) DryRun(rec *rest.Recorder) *Client {
	return &Client{rc: c.rc.DryRun(rec), region: c.region}
}

// emptyPayload is the SHA-256 of an empty body.
const emptyPayload = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// signer returns the rest auth hook signing each request with Signature Version 4 over its
// body, for service ec2 in region.
func signer(cr Credentials, region string, now func() time.Time) func(*http.Request) error {
	creds := aws.Credentials{AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey, SessionToken: cr.SessionToken}
	s := v4.NewSigner()
	return func(r *http.Request) error {
		hash := emptyPayload
		if r.GetBody != nil {
			body, err := r.GetBody()
			if err != nil {
				return fmt.Errorf("sign: %w", err)
			}
			h := sha256.New()
			_, err = io.Copy(h, body)
			body.Close()
			if err != nil {
				return fmt.Errorf("sign: %w", err)
			}
			hash = hex.EncodeToString(h.Sum(nil))
		}
		if r.Header.Get("X-Amz-Date") != "" {
			// A retried attempt is signed afresh.
			r.Header.Del("Authorization")
			r.Header.Del("X-Amz-Date")
			r.Header.Del("X-Amz-Security-Token")
		}
		return s.SignHTTP(context.Background(), creds, r, hash, Service, region, now().UTC())
	}
}

// call sends action with params and decodes the XML answer into out. readOnly marks the
// Describe calls, which a dry-run client still sends.
func (c *Client) call(ctx context.Context, action string, params url.Values, readOnly bool, out any) error {
	form := url.Values{"Action": {action}, "Version": {APIVersion}}
	for k, v := range params {
		form[k] = v
	}
	return c.rc.Do(ctx, rest.Request{
		Op: action, Operation: action, Method: http.MethodPost, Path: "/", Form: form,
		Idempotent: true, ReadOnly: readOnly,
	}, out)
}

// indexed adds name.1, name.2, ... for vals.
func indexed(p url.Values, name string, vals []string) {
	for i, v := range vals {
		p.Set(name+"."+strconv.Itoa(i+1), v)
	}
}

// Filter is one Describe filter: Name ("tag:sindri.dev/env", "instance-state-name") and the
// values any of which matches.
type Filter struct {
	Name   string
	Values []string
}

func filters(p url.Values, fs []Filter) {
	for i, f := range fs {
		prefix := "Filter." + strconv.Itoa(i+1)
		p.Set(prefix+".Name", f.Name)
		indexed(p, prefix+".Value", f.Values)
	}
}

// TagFilter is the filter for tag key = value.
func TagFilter(key, value string) Filter { return Filter{Name: "tag:" + key, Values: []string{value}} }

// Tags turns a map into EC2 tags, sorted by key.
func tagParams(p url.Values, prefix string, tags []Tag) {
	for i, t := range tags {
		k := prefix + "." + strconv.Itoa(i+1)
		p.Set(k+".Key", t.Key)
		p.Set(k+".Value", t.Value)
	}
}
