package cloudrest

import (
	"errors"
	"net/http"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// SigningClient returns an HTTP client sending through base's transport (nil or no
// transport: http.DefaultTransport) that calls sign on a clone of each request, every retry
// and attempt alike, right before it goes out, so each carries a fresh date or nonce. The
// clone shares the body, which sign may read and replace. Redirects are not followed: the
// cloud APIs never redirect, and a redirect would carry a signature elsewhere.
//
// Signing in the transport rather than in the rest client's auth hook keeps the signature
// out of its probe, which would take the date's words for secrets.
func SigningClient(base *http.Client, sign func(*http.Request) error) *http.Client {
	next := http.DefaultTransport
	if base != nil && base.Transport != nil {
		next = base.Transport
	}
	return &http.Client{
		Transport:     signer{next: next, sign: sign},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type signer struct {
	next http.RoundTripper
	sign func(*http.Request) error
}

func (s signer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if err := s.sign(r); err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	return s.next.RoundTrip(r)
}

// IgnoreNotFound takes a NotFound answer to a delete as done: the first attempt's answer
// was lost, or someone else deleted it.
func IgnoreNotFound(err error) error {
	if errors.Is(err, providers.ErrNotFound) {
		return nil
	}
	return err
}
