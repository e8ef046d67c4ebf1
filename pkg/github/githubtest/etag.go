package githubtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
)

// writeConditional answers a GET as GitHub does: with a weak ETag over the representation and
// the token that asked for it (GitHub's ETags are specific to the token: one from another
// token never matches), and with 304 Not Modified and an empty body when If-None-Match names
// that ETag. Such a 304 is counted apart (NotModified): it does not count against GitHub's
// primary rate limit.
func (s *Server) writeConditional(w http.ResponseWriter, r *http.Request, route string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.violation("%s: encode the answer: %v", route, err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(append([]byte(tokenOf(r)+"\n"), body...))
	etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "private, max-age=60, s-maxage=60")
	w.Header().Set("Vary", "Accept, Authorization, Cookie")
	notModified := etagMatches(r.Header.Get("If-None-Match"), etag)
	s.spend(w, !notModified)
	if notModified {
		s.mu.Lock()
		s.notModified[route]++
		s.notModifiedTotal++
		s.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(body, '\n'))
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 §13.1.2): a list of entity
// tags, or "*", any of which matches etag when their opaque parts are equal. An empty header
// matches nothing.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	opaque := func(t string) string { return strings.TrimPrefix(strings.TrimSpace(t), "W/") }
	for _, t := range strings.Split(header, ",") {
		if strings.TrimSpace(t) == "*" || opaque(t) == opaque(etag) {
			return true
		}
	}
	return false
}

// NotModified returns how many GETs were answered 304 Not Modified since the last
// ResetCounts; they are included in Total and Counts but not in Counted.
func (s *Server) NotModified() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notModifiedTotal
}

// NotModifiedCounts returns a copy of the per-route 304 counts since the last ResetCounts.
func (s *Server) NotModifiedCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.notModified))
	for k, v := range s.notModified {
		out[k] = v
	}
	return out
}

// Counted returns the requests that count against GitHub's primary rate limit since the last
// ResetCounts: every request received except the conditional GETs answered 304.
func (s *Server) Counted() int { return s.Total() - s.NotModified() }

// tokenOf is the token r authenticated with, whichever scheme named it.
func tokenOf(r *http.Request) string {
	_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return tok
}
