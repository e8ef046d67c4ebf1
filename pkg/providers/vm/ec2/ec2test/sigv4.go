package ec2test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxSkew is how far a request's X-Amz-Date may be from the fake's clock (EC2: 5 minutes).
const maxSkew = 5 * time.Minute

// verifySignature checks r's Signature Version 4 Authorization header against the fake's
// key, computed here independently of the client's signer. It returns the EC2 error code and
// message for a request that fails, or "" when the signature is good.
func (f *Fake) verifySignature(r *http.Request, body []byte) (code, msg string) {
	auth := r.Header.Get("Authorization")
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algo) {
		return "AuthFailure", "AWS was not able to validate the provided access credentials"
	}
	parts := map[string]string{}
	for _, kv := range strings.Split(strings.TrimPrefix(auth, algo), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		parts[k] = v
	}
	scope := strings.Split(parts["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return "AuthFailure", "malformed credential scope"
	}
	if scope[0] != f.opts.AccessKeyID {
		return "AuthFailure", "AWS was not able to validate the provided access credentials"
	}
	if scope[2] != f.opts.Region || scope[3] != "ec2" {
		return "SignatureDoesNotMatch", fmt.Sprintf("credential scope names region %s service %s, want %s ec2", scope[2], scope[3], f.opts.Region)
	}
	amzDate := r.Header.Get("X-Amz-Date")
	at, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || !strings.HasPrefix(amzDate, scope[1]) {
		return "AuthFailure", "X-Amz-Date is missing or does not match the credential scope"
	}
	if d := time.Since(at); d > maxSkew || d < -maxSkew {
		return "RequestExpired", "request has expired"
	}
	if f.opts.SessionToken != "" && r.Header.Get("X-Amz-Security-Token") != f.opts.SessionToken {
		return "AuthFailure", "the security token included in the request is invalid"
	}
	signed := strings.Split(parts["SignedHeaders"], ";")
	for _, must := range []string{"host", "x-amz-date"} {
		if !slices.Contains(signed, must) {
			return "SignatureDoesNotMatch", "SignedHeaders must include " + must
		}
	}
	if f.opts.SessionToken != "" && !slices.Contains(signed, "x-amz-security-token") {
		return "SignatureDoesNotMatch", "SignedHeaders must include x-amz-security-token"
	}
	var canon strings.Builder
	for _, h := range signed {
		v := r.Header.Get(h)
		switch h {
		case "host":
			v = r.Host
		case "content-length": // net/http moves it out of Header
			v = strconv.FormatInt(r.ContentLength, 10)
		}
		canon.WriteString(h + ":" + strings.Join(strings.Fields(v), " ") + "\n")
	}
	payload := sha256.Sum256(body)
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	creq := strings.Join([]string{r.Method, path, r.URL.RawQuery, canon.String(), parts["SignedHeaders"], hex.EncodeToString(payload[:])}, "\n")
	sum := sha256.Sum256([]byte(creq))
	sts := strings.Join([]string{"AWS4-HMAC-SHA256", amzDate, strings.Join(scope[1:], "/"), hex.EncodeToString(sum[:])}, "\n")
	key := []byte("AWS4" + f.opts.SecretAccessKey)
	for _, s := range []string{scope[1], scope[2], scope[3], "aws4_request"} {
		key = hmacSHA256(key, s)
	}
	if want := hex.EncodeToString(hmacSHA256(key, sts)); !hmac.Equal([]byte(want), []byte(parts["Signature"])) {
		return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided"
	}
	return "", ""
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}
