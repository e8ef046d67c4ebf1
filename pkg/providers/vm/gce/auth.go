package gce

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudrest"
)

// Scope is the OAuth2 scope the client asks for.
const Scope = "https://www.googleapis.com/auth/compute"

// GrantType is the JWT bearer grant of the token exchange.
const GrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Key is a service-account key file's fields the client uses.
type Key struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	TokenURI     string `json:"token_uri"`

	signer *rsa.PrivateKey
}

// ParseKey reads a service-account key file's JSON. Errors name the field at fault, never a
// value of the key.
func ParseKey(b []byte) (*Key, error) {
	var k Key
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("the service-account key is not JSON: %w", providers.ErrInvalidSpec)
	}
	switch {
	case k.Type != "service_account":
		return nil, fmt.Errorf("the key's \"type\" is %q, want \"service_account\" (create a key for a service account): %w", k.Type, providers.ErrInvalidSpec)
	case k.ClientEmail == "":
		return nil, fmt.Errorf("the service-account key has no \"client_email\": %w", providers.ErrInvalidSpec)
	case k.TokenURI == "":
		k.TokenURI = "https://oauth2.googleapis.com/token"
	}
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil {
		return nil, fmt.Errorf("the service-account key's \"private_key\" is not PEM: %w", providers.ErrInvalidSpec)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		if k1, err1 := x509.ParsePKCS1PrivateKey(block.Bytes); err1 == nil {
			parsed = k1
		} else {
			return nil, fmt.Errorf("the service-account key's \"private_key\" does not parse as an RSA key: %w", providers.ErrInvalidSpec)
		}
	}
	rk, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the service-account key's \"private_key\" is not an RSA key: %w", providers.ErrInvalidSpec)
	}
	k.signer = rk
	return &k, nil
}

// Claims are the JWT claims of the token request.
type Claims struct {
	Iss   string `json:"iss"`
	Scope string `json:"scope"`
	Aud   string `json:"aud"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
}

// assertion is the signed JWT for the token request at now.
func (k *Key) assertion(now time.Time) (string, error) {
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": k.PrivateKeyID})
	claims, _ := json.Marshal(Claims{Iss: k.ClientEmail, Scope: Scope, Aud: k.TokenURI, Iat: now.Unix(), Exp: now.Add(time.Hour).Unix()})
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.signer, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign the token request: %w", err)
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

// newTokenSource returns the token source of key: a JWT signed with it, exchanged at its
// token_uri.
func newTokenSource(key *Key, cfg Config) (*cloudrest.Source, error) {
	u, err := url.Parse(key.TokenURI)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("the service-account key's \"token_uri\" is not an absolute URL: %w", providers.ErrInvalidSpec)
	}
	path := strings.TrimPrefix(u.Path, "/")
	u.Path, u.RawQuery = "/", ""
	rc, err := rest.New(cfg.Rest(u.String(), nil))
	if err != nil {
		return nil, err
	}
	return &cloudrest.Source{RC: rc, Request: func(now time.Time) (rest.Request, error) {
		jwt, err := key.assertion(now)
		if err != nil {
			return rest.Request{}, err
		}
		return rest.Request{Op: "get an access token", Operation: "oauth2 token", Method: "POST", Path: path,
			Form: url.Values{"grant_type": {GrantType}, "assertion": {jwt}}, Idempotent: true, Secrets: []string{jwt}}, nil
	}}, nil
}
