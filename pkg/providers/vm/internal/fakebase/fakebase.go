// Package fakebase is what the vm cloud fakes (ec2test, gcetest, azuretest, ocitest,
// alicloudtest) have in common: the apifake server in front of each, and small helpers of
// their bookkeeping.
package fakebase

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/sindri/deploy/v3/internal/apifake"
)

// Server is the fault-injecting server in front of a fake (API) and its root URL (URL).
// A Fake embeds it, so both stay fields of the Fake.
type Server struct {
	API *apifake.Server
	URL string
}

// Serve starts the apifake server named name in front of h for t. It stamps requestID (""
// for none) on every answer and writes errorBody's body on the answers its rules inject;
// extra (a test's chaos rules and seed) come last.
func (s *Server) Serve(t testing.TB, h http.Handler, name, requestID string, errorBody func(status int) any, extra []apifake.Option) {
	t.Helper()
	opts := []apifake.Option{apifake.WithName(name)}
	if requestID != "" {
		opts = append(opts, apifake.WithRequestID(requestID))
	}
	opts = append(opts, apifake.WithErrorBody(errorBody))
	s.API = apifake.New(t, h, append(opts, extra...)...)
	s.URL = s.API.URL
}

// Client returns an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.API.Client() }

// SortedKeys returns the keys of m whose values keep accepts (nil: all), sorted.
func SortedKeys[V any](m map[string]V, keep func(V) bool) []string {
	var out []string
	for k, v := range m {
		if keep == nil || keep(v) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// RandomHex is n random bytes in hex: a fake's secrets and unique suffixes.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Default sets *p to v when *p is the zero value: an option a test left unset.
func Default[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Patterns compiles each pattern to match a whole name (a parameter the fake accepts).
func Patterns(patterns ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		out[i] = regexp.MustCompile(`^` + p + `$`)
	}
	return out
}

// InOrder returns the keys in order (a fake's creation order) whose values in m keep
// accepts. keep may step the value's state first.
func InOrder[V any](order []string, m map[string]V, keep func(V) bool) []string {
	var out []string
	for _, k := range order {
		if keep(m[k]) {
			out = append(out, k)
		}
	}
	return out
}
