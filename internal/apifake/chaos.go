package apifake

import (
	"net/http"
	"time"
)

// DefaultChaosRate is the probability with which each of the Chaos faults hits a request.
const DefaultChaosRate = 0.03

// ChaosRules returns the low-rate faults of a conformance run "with faults on", each hitting
// a request with probability rate: 429 with Retry-After: 1, 503, a lost response on a create
// (POST, applied), and (at twice the rate) a delay of 20ms. A client that retries sensibly and
// observes before creating again must come through them.
func ChaosRules(rate float64) []Rule {
	return []Rule{
		{Name: "chaos 429", Probability: rate, Action: TooManyRequests(time.Second)},
		{Name: "chaos 503", Probability: rate, Action: Respond(http.StatusServiceUnavailable, nil)},
		{Name: "chaos lost create", Route: "POST ", Probability: rate, Action: ApplyThenDrop()},
		{Name: "chaos delay", Probability: 2 * rate, Action: Delay(20 * time.Millisecond)},
	}
}

// Chaos is the Option of a conformance run with faults on: ChaosRules(DefaultChaosRate),
// drawn from seed so that a failing run can be repeated.
func Chaos(seed uint64) Option {
	return func(s *Server) {
		WithSeed(seed)(s)
		WithRules(ChaosRules(DefaultChaosRate)...)(s)
	}
}
