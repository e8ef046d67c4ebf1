package rest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// MaxMessage bounds, in characters, the platform message an APIError carries.
const MaxMessage = 300

// maxErrorBody bounds how much of an error response is read for the decoder.
const maxErrorBody = 64 << 10

// ErrorDecoder reads a platform's error body. It returns the platform's machine code (may be
// ""), its human message, and an optional cause that refines the status's meaning (for
// example providers.ErrQuota for E2B's concurrency 429, providers.ErrCapacity for RunPod's "no
// longer any instances available"). The client redacts and bounds the message.
type ErrorDecoder func(status int, header http.Header, body []byte) (code, message string, cause error)

// DecodeError is the decoder used when a Config names none. It understands the common shapes:
// {"message"}, {"error": "..."}, {"error": {"code", "message"}}, {"code", "message",
// "error_code"}, {"status": "<class>"} (Fly) and RFC 9457 {"title", "detail"}; any other body
// is taken as text. It returns no cause.
func DecodeError(_ int, _ http.Header, body []byte) (code, message string, cause error) {
	var b struct {
		Message   string          `json:"message"`
		Error     json.RawMessage `json:"error"`
		Code      json.RawMessage `json:"code"`
		ErrorCode string          `json:"error_code"`
		Status    json.RawMessage `json:"status"`
		Title     string          `json:"title"`
		Detail    string          `json:"detail"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return "", strings.TrimSpace(string(body)), nil
	}
	var nested struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	var errText string
	if json.Unmarshal(b.Error, &errText) != nil && json.Unmarshal(b.Error, &nested) == nil {
		b.Message = firstNonEmpty(b.Message, nested.Message)
		b.Code = firstRaw(b.Code, nested.Code)
	}
	code = firstNonEmpty(b.ErrorCode, rawString(b.Code), rawString(b.Status))
	message = firstNonEmpty(b.Message, errText, b.Detail, b.Title)
	return code, message, nil
}

// rawString returns a JSON string's value; numbers (an HTTP status echoed in the body) are
// not a code.
func rawString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func firstRaw(a, b json.RawMessage) json.RawMessage {
	if rawString(a) != "" {
		return a
	}
	return b
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// retryStatus: the statuses an idempotent request is retried on. 500 is not among them: a
// server that failed on this request is likely to fail on the same request again, and the
// executor still sees it as transient (providers.IsRetryable).
func retryStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// ambiguousStatus: the request may have been applied although it failed (a timeout or a
// server failure after the handler ran). A 429 never is: it is refused before any work.
func ambiguousStatus(code int) bool {
	return code == http.StatusRequestTimeout ||
		(code >= 500 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported)
}

// permanentCause reports a cause no retry can change.
func permanentCause(err error) bool {
	return errors.Is(err, providers.ErrAuth) || errors.Is(err, providers.ErrQuota) ||
		errors.Is(err, providers.ErrCapacity)
}

// apiError builds the error for a non-2xx response.
func (c *Client) apiError(p *prepared, resp *http.Response, body []byte, ri rateInfo) *providers.APIError {
	code, msg, cause := c.decode(resp.StatusCode, resp.Header, body)
	retryAfter := ri.retryAfter
	if retryAfter == 0 && resp.StatusCode == http.StatusTooManyRequests {
		retryAfter = ri.reset
	}
	return &providers.APIError{
		Provider:   c.provider,
		Op:         p.op,
		Method:     p.method,
		URL:        p.safeURL,
		Status:     resp.StatusCode,
		Code:       bound(p.redact.String(code), 64),
		Message:    bound(p.redact.String(msg), MaxMessage),
		RequestID:  requestID(resp.Header, c.requestIDHeaders),
		RetryAfter: retryAfter,
		Retryable:  retryStatus(resp.StatusCode) && !permanentCause(cause),
		Err:        cause,
	}
}

// bound cuts s to at most n characters, on a rune boundary, and collapses it to one line.
// Callers redact first: cutting first could leave half a secret that no longer matches.
func bound(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
