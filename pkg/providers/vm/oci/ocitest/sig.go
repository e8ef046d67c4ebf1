package ocitest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxSkew is how far a request's date may be from the fake's clock (OCI: 5 minutes).
const maxSkew = 5 * time.Minute

// verify checks r's Authorization header as OCI does, with its own parser: scheme
// Signature, version 1, the fake's keyId, rsa-sha256, the required headers signed (date,
// (request-target), host; and x-content-sha256, content-type, content-length with a body),
// a fresh date, a body hash that matches, and the RSA signature under the key's public half.
// It returns "" when the request is authentic, else why not.
func (f *Fake) verify(r *http.Request, body []byte) string {
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Signature ")
	if !ok {
		return "the Authorization header is missing or not a Signature"
	}
	params := map[string]string{}
	for _, part := range strings.Split(auth, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return "the Authorization header does not parse"
		}
		params[k] = v[1 : len(v)-1]
	}
	switch {
	case params["version"] != "1":
		return "signature version is not 1"
	case params["algorithm"] != "rsa-sha256":
		return "algorithm is not rsa-sha256"
	case params["keyId"] != f.opts.Tenancy+"/"+f.opts.User+"/"+f.opts.Fingerprint:
		return "unknown keyId"
	}
	headers := strings.Fields(params["headers"])
	required := []string{"date", "(request-target)", "host"}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		required = append(required, "x-content-sha256", "content-type", "content-length")
	}
	for _, h := range required {
		if !slices.Contains(headers, h) {
			return "header " + h + " is not signed"
		}
	}
	date := r.Header.Get("Date")
	if date == "" {
		date = r.Header.Get("X-Date")
	}
	at, err := http.ParseTime(date)
	if err != nil {
		return "the date header does not parse"
	}
	if d := time.Since(at); d > maxSkew || d < -maxSkew {
		return "the date is more than 5 minutes off"
	}
	if slices.Contains(headers, "x-content-sha256") {
		sum := sha256.Sum256(body)
		if r.Header.Get("X-Content-Sha256") != base64.StdEncoding.EncodeToString(sum[:]) {
			return "x-content-sha256 does not match the body"
		}
	}
	lines := make([]string, len(headers))
	for i, h := range headers {
		var v string
		switch h {
		case "(request-target)":
			v = strings.ToLower(r.Method) + " " + r.URL.RequestURI()
		case "host":
			v = r.Host
		case "content-length":
			v = r.Header.Get("Content-Length")
			if v == "" && r.ContentLength >= 0 {
				v = strconv.FormatInt(r.ContentLength, 10)
			}
		default:
			v = r.Header.Get(h)
		}
		lines[i] = h + ": " + v
	}
	sig, err := base64.StdEncoding.DecodeString(params["signature"])
	if err != nil {
		return "the signature is not base64"
	}
	digest := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	if rsa.VerifyPKCS1v15(&f.opts.Key.PublicKey, crypto.SHA256, digest[:], sig) != nil {
		return "the signature does not verify"
	}
	return ""
}
