package providertest

import (
	"errors"
	"math/rand/v2"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// ErrChaos is the cause of the transient failures Chaos injects.
var ErrChaos = errors.New("fake: injected transient fault")

// chaos draws random transient faults; it is guarded by the Fake's mutex.
type chaos struct {
	rng  *rand.Rand
	rate float64
}

// next returns a fault for the next operation, or nil. Half of the faults fail before the
// operation changes anything, half after it took effect ("the response was lost").
func (c *chaos) next() *Fault {
	if c == nil || c.rng.Float64() >= c.rate {
		return nil
	}
	return &Fault{Err: transientChaos, AfterApply: c.rng.IntN(2) == 0}
}

var transientChaos = providers.Transient(ErrChaos)

// Chaos makes every operation fail transiently with probability rate (0 < rate < 1), drawn
// from seed, until the returned function is called. The failures wrap ErrChaos and are
// retryable; half of them happen after the operation took effect. Faults added with Inject are
// matched only for operations Chaos left alone.
func (f *Fake) Chaos(seed uint64, rate float64) (off func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chaos = &chaos{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), rate: rate}
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.chaos = nil
	}
}
