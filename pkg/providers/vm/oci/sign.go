package oci

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Credentials are an OCI API signing key: the tenancy and user it belongs to, the
// fingerprint OCI shows for its public half, and the private key.
type Credentials struct {
	TenancyOCID string
	UserOCID    string
	Fingerprint string
	PrivateKey  *rsa.PrivateKey
}

// KeyID is the signature's keyId: "<tenancy>/<user>/<fingerprint>".
func (c Credentials) KeyID() string { return c.TenancyOCID + "/" + c.UserOCID + "/" + c.Fingerprint }

// ParsePrivateKey reads a PEM RSA private key, PKCS#1 ("RSA PRIVATE KEY") or PKCS#8
// ("PRIVATE KEY"). An encrypted key is refused: the executor has no passphrase to give. The
// error never quotes the key.
func ParsePrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		return nil, errors.New("oci: the key file holds no PEM block (want an RSA private key in PEM)")
	}
	if _, enc := b.Headers["Proc-Type"]; enc || b.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, errors.New("oci: the key file is encrypted with a passphrase, which is not supported: give an unencrypted API signing key")
	}
	switch b.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			return nil, errors.New("oci: the key file's PKCS#1 key does not parse")
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, errors.New("oci: the key file's PKCS#8 key does not parse")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("oci: the key file holds a key that is not RSA (OCI signs with RSA keys)")
		}
		return rk, nil
	}
	return nil, fmt.Errorf("oci: the key file holds a PEM block of type %q, want RSA PRIVATE KEY or PRIVATE KEY", b.Type)
}

// bodyHeaders are the headers signed besides the common three on requests with a body.
var bodyHeaders = []string{"x-content-sha256", "content-type", "content-length"}

// SignedHeaders lists, in order, the headers a request of method signs.
func SignedHeaders(method string) []string {
	h := []string{"date", "(request-target)", "host"}
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		h = append(h, bodyHeaders...)
	}
	return h
}

// SigningString is the text signed for r over headers: one "name: value" line per header,
// (request-target) being the lowercase method, a space and the path with its query.
func SigningString(r *http.Request, headers []string) string {
	lines := make([]string, len(headers))
	for i, h := range headers {
		var v string
		switch h {
		case "(request-target)":
			v = strings.ToLower(r.Method) + " " + r.URL.RequestURI()
		case "host":
			v = r.Host
			if v == "" {
				v = r.URL.Host
			}
		default:
			v = r.Header.Get(h)
		}
		lines[i] = h + ": " + v
	}
	return strings.Join(lines, "\n")
}

// sign sets r's date, body headers and Authorization for cr at now. It reads (and restores)
// the body to hash it.
func sign(r *http.Request, cr Credentials, now time.Time) error {
	r.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	headers := SignedHeaders(r.Method)
	if len(headers) > 3 {
		var body []byte
		if r.Body != nil {
			var err error
			if body, err = io.ReadAll(r.Body); err != nil {
				return fmt.Errorf("oci: sign: read body: %w", err)
			}
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		sum := sha256.Sum256(body)
		r.Header.Set("X-Content-Sha256", base64.StdEncoding.EncodeToString(sum[:]))
		if r.Header.Get("Content-Type") == "" {
			r.Header.Set("Content-Type", "application/json")
		}
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	digest := sha256.Sum256([]byte(SigningString(r, headers)))
	sig, err := rsa.SignPKCS1v15(rand.Reader, cr.PrivateKey, crypto.SHA256, digest[:])
	if err != nil {
		return fmt.Errorf("oci: sign: %w", err)
	}
	r.Header.Set("Authorization", fmt.Sprintf(`Signature version="1",keyId="%s",algorithm="rsa-sha256",headers="%s",signature="%s"`,
		cr.KeyID(), strings.Join(headers, " "), base64.StdEncoding.EncodeToString(sig)))
	return nil
}
