package alicloud

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Credentials are an AccessKey pair.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
}

// TimestampFormat is the format of the Timestamp parameter (UTC, ISO 8601).
const TimestampFormat = "2006-01-02T15:04:05Z"

// PercentEncode encodes s as the RPC signature wants: RFC 3986 unreserved characters kept,
// everything else %XX in upper case (a space is %20, never +; * is %2A; ~ stays).
func PercentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// StringToSign is the text an RPC request of method with params signs: the method, the
// encoded "/", and the encoded canonical query (parameters sorted by name, each name and
// value percent-encoded), joined by "&".
func StringToSign(method string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = PercentEncode(k) + "=" + PercentEncode(params.Get(k))
	}
	return method + "&" + PercentEncode("/") + "&" + PercentEncode(strings.Join(pairs, "&"))
}

// Signature is base64(HMAC-SHA1(secret + "&", stringToSign)).
func Signature(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// sign adds the signature parameters to the form POST r at now, so that every attempt has
// its own nonce and timestamp (ECS refuses a nonce it has seen).
func sign(r *http.Request, cr Credentials, now time.Time) error {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return fmt.Errorf("alicloud: sign: read body: %w", err)
		}
		r.Body.Close()
	}
	params, err := url.ParseQuery(string(body))
	if err != nil {
		return fmt.Errorf("alicloud: sign: the body is not a form: %w", err)
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	params.Set("AccessKeyId", cr.AccessKeyID)
	params.Set("SignatureMethod", "HMAC-SHA1")
	params.Set("SignatureVersion", "1.0")
	params.Set("SignatureNonce", hex.EncodeToString(nonce))
	params.Set("Timestamp", now.UTC().Format(TimestampFormat))
	params.Del("Signature")
	params.Set("Signature", Signature(cr.AccessKeySecret, StringToSign(r.Method, params)))
	signed := []byte(params.Encode())
	r.Body = io.NopCloser(bytes.NewReader(signed))
	r.ContentLength = int64(len(signed))
	r.Header.Set("Content-Length", strconv.Itoa(len(signed)))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(signed)), nil }
	return nil
}
