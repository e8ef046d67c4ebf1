package apifake

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
)

// Entry is one request as the server saw it.
type Entry struct {
	// Route is the fake's mux pattern that routed the request, else "METHOD /path".
	Route  string
	Method string
	Path   string
	// Query is the raw query string.
	Query string
	// Body is the request body, re-encoded with sorted keys and no spaces when it is JSON.
	Body string
	// Status is the status the client was sent; 0 when none was (dropped, hung, gone, or
	// still in progress).
	Status int
	// Applied reports whether the fake's handler ran.
	Applied bool
	// Fault names the rule that acted on the request; empty when none did.
	Fault string
	// RequestID is the id the server gave the request (sent when WithRequestID is set).
	RequestID string
}

// normalizeJSON re-encodes a JSON body canonically so logs compare by meaning; other bodies
// are kept as they are.
func normalizeJSON(b []byte) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if len(bytes.TrimSpace(b)) == 0 || dec.Decode(&v) != nil || dec.More() {
		return string(b)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return string(b)
	}
	return string(out)
}

// Requests returns a copy of the request log, in order of arrival.
func (s *Server) Requests() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// Count returns how many requests route (an Entry.Route) has received, faulted ones included.
func (s *Server) Count(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[route]
}

// Counts returns a copy of the per-route request counts.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts)
}

// Total returns the number of requests counted on all routes.
func (s *Server) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.counts {
		n += c
	}
	return n
}

// ResetCounts zeroes the request counts; the request log is kept.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.counts)
}
