package apifake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// ErrBadBody is wrapped by the errors of DecodeJSON for a body that is not exactly the
// expected JSON object.
var ErrBadBody = errors.New("request body does not decode strictly")

// Violationf records a violation of the API's contract by the client under test, and fails the
// test with it unless CollectViolations was given.
func (s *Server) Violationf(format string, args ...any) {
	msg := s.name + ": " + fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.violations = append(s.violations, msg)
	s.mu.Unlock()
	if !s.collect {
		s.t.Errorf("%s", msg)
	}
}

// Violations returns the violations recorded so far, oldest first.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

// DecodeJSON decodes r's body into v strictly: one JSON value, no unknown fields, sent as
// application/json. Each breach is a violation; it returns an error wrapping ErrBadBody when
// the body did not decode, nil otherwise (a wrong Content-Type alone is only a violation).
func (s *Server) DecodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.Violationf("%s %s: Content-Type %q, want application/json", r.Method, r.URL.Path, ct)
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return fmt.Errorf("%w: read: %w", ErrBadBody, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON value")
	}
	if err != nil {
		s.Violationf("%s %s: body %s: %v", r.Method, r.URL.Path, b, err)
		return fmt.Errorf("%w: %w", ErrBadBody, err)
	}
	return nil
}

// CheckAuth reports whether r's Authorization header is one of accepted (e.g. "Bearer tok");
// a missing or other header is a violation.
func (s *Server) CheckAuth(r *http.Request, accepted ...string) bool {
	if slices.Contains(accepted, r.Header.Get("Authorization")) {
		return true
	}
	s.Violationf("%s %s: bad or missing Authorization header", r.Method, r.URL.Path)
	return false
}

// WriteJSON answers status with v encoded as JSON. An error writing to the client is not
// returned: the client sees it.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
