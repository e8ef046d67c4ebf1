package executor

import (
	"math/rand/v2"
	"time"
)

// retryDelay is the jittered exponential backoff before attempt+1: base*2^(attempt-1), capped
// at max, then a uniformly random value in [d/2, d) so that jobs that failed together do not
// come back together.
func retryDelay(attempt int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return jitter(d)
}

// jitter returns a random duration in [d/2, d).
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half)
}
