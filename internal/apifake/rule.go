package apifake

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Rule injects Action into the requests it matches. A request is matched when its method and
// path fit Route and every set condition holds; the first matching rule, in the order rules
// were added, acts on it, and the others let it be. Conditions are counted per rule: every
// request fitting Route counts towards Nth, whether or not this rule acts on it.
type Rule struct {
	// Name labels the rule in the request log (Entry.Fault); the action's String when empty.
	Name string
	// Route is "[METHOD ]/path": "POST /v1/apps/{app}/machines" (a {name} segment matches any
	// one segment), "/v1/" or "/v1/{rest...}" (a prefix), "GET " or "" (every path).
	Route string
	// Nth, when positive, acts only on the Nth request fitting Route (1 is the first).
	Nth int
	// Times, when positive, acts on at most Times requests; the rule is then spent.
	Times int
	// Probability, when positive, acts on a fitting request with this probability, drawn from
	// the server's seeded source so a run can be repeated (see WithSeed).
	Probability float64
	// Action is what is done to the request; the zero Action lets it through unchanged.
	Action Action
}

// Action is what a Rule does to a request. Delay comes first; then at most one of Hang, Drop
// and Status takes effect, in that order. Apply runs the fake's own handler before Drop or
// Status, so its state changes although the client is told otherwise.
type Action struct {
	// Delay holds the request this long before anything else (ended early if the client goes).
	Delay time.Duration
	// Hang holds the request until the client goes away or the server closes; nothing is applied.
	Hang bool
	// Drop closes the connection without an answer: after applying when Apply is set (the
	// object was made but the response is lost), else as a connection reset before applying.
	Drop bool
	// Apply runs the fake's handler (its answer is discarded) before Drop or Status.
	Apply bool
	// Status, when non-zero, is answered instead of the handler's answer.
	Status int
	// Body is the JSON body of a Status answer ([]byte is sent as is); when nil the server's
	// error body (see WithErrorBody) is sent.
	Body any
	// Header is added to a Status answer.
	Header http.Header
}

// Respond returns an Action answering status with body (nil: the server's error body)
// instead of running the handler.
func Respond(status int, body any) Action { return Action{Status: status, Body: body} }

// TooManyRequests returns an Action answering 429 with a Retry-After header of retryAfter in
// whole seconds (rounded up).
func TooManyRequests(retryAfter time.Duration) Action {
	secs := int((retryAfter + time.Second - 1) / time.Second)
	return Action{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {strconv.Itoa(secs)}}}
}

// Delay returns an Action holding the request for d, then handling it as usual.
func Delay(d time.Duration) Action { return Action{Delay: d} }

// Hang returns an Action holding the request until the client gives up.
func Hang() Action { return Action{Hang: true} }

// ApplyThenFail returns an Action running the handler, so its state changes, then answering
// status: the client sees a failure of a request that took effect.
func ApplyThenFail(status int) Action { return Action{Apply: true, Status: status} }

// ApplyThenDrop returns an Action running the handler, then closing the connection without an
// answer: "created, but the response was lost".
func ApplyThenDrop() Action { return Action{Apply: true, Drop: true} }

// Reset returns an Action resetting the connection before the request is applied.
func Reset() Action { return Action{Drop: true} }

// String describes a for the request log.
func (a Action) String() string {
	var s string
	switch {
	case a.Hang:
		s = "hang"
	case a.Drop && a.Apply:
		s = "apply then drop"
	case a.Drop:
		s = "reset"
	case a.Status != 0 && a.Apply:
		s = fmt.Sprintf("apply then %d", a.Status)
	case a.Status != 0:
		s = strconv.Itoa(a.Status)
	default:
		s = "pass"
	}
	if a.Delay > 0 {
		s = fmt.Sprintf("delay %v, %s", a.Delay, s)
	}
	return s
}

// ruleState is a Rule with its counters; the server's mutex guards it.
type ruleState struct {
	Rule
	pat   pattern
	seen  int
	acted int
	rnd   *rand.Rand
}

func newRuleState(r Rule, seed uint64, index int) *ruleState {
	return &ruleState{Rule: r, pat: parsePattern(r.Route), rnd: rand.New(rand.NewPCG(seed, uint64(index)))}
}

// take counts a request fitting Route and reports whether the rule acts on it; a rule is
// only asked to act (eligible) while no earlier rule has.
func (r *ruleState) take(method, path string, eligible bool) bool {
	if !r.pat.match(method, path) {
		return false
	}
	r.seen++
	if !eligible || r.Times > 0 && r.acted >= r.Times || r.Nth > 0 && r.seen != r.Nth {
		return false
	}
	if r.Probability > 0 && r.rnd.Float64() >= r.Probability {
		return false
	}
	r.acted++
	return true
}

func (r *ruleState) label() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Action.String()
}
