package githubtest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
)

// rateLimit is the fake's primary rate limit, when RateLimit turned it on.
type rateLimit struct {
	limit, remaining int
	reset            time.Time
}

// RateLimit turns on a primary rate limit of remaining requests until reset, as GitHub keeps
// one per token: every answer carries x-ratelimit-limit, -remaining, -used and -reset; every
// answered request uses one, except a conditional GET answered 304; with none left, requests
// are answered 403 with x-ratelimit-remaining: 0 until Refill.
func (s *Server) RateLimit(remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate = &rateLimit{limit: max(remaining, 1), remaining: remaining, reset: reset}
}

// Refill starts a new rate-limit window with the full limit, as the reset time passing does.
func (s *Server) Refill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rate != nil {
		s.rate.remaining = s.rate.limit
	}
}

// refuseExhausted answers 403 as GitHub does when the primary limit is used up, and reports
// whether it did.
func (s *Server) refuseExhausted(w http.ResponseWriter) bool {
	s.mu.Lock()
	exhausted := s.rate != nil && s.rate.remaining <= 0
	s.mu.Unlock()
	if !exhausted {
		return false
	}
	s.spend(w, false)
	apifake.WriteJSON(w, http.StatusForbidden, map[string]string{"message": "API rate limit exceeded for installation.",
		"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"})
	return true
}

// spend sets the rate-limit headers of an answer about to be written, using one request
// when counted.
func (s *Server) spend(w http.ResponseWriter, counted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rate == nil {
		return
	}
	if counted && s.rate.remaining > 0 {
		s.rate.remaining--
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.rate.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(s.rate.remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(s.rate.limit-s.rate.remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.rate.reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}
