package apifake

import (
	"sync"
	"time"
)

// Lag makes new objects of an eventually consistent API invisible for a while: a fake's
// create handler calls Created(key), and its read and list handlers answer 404 (or leave the
// object out) while Visible(key) is false. A nil *Lag has no lag. Its methods are safe for
// concurrent use.
type Lag struct {
	delay time.Duration
	reads int
	now   func() time.Time

	mu   sync.Mutex
	objs map[string]*lagging
}

type lagging struct {
	at     time.Time
	misses int
}

// NewLag returns a Lag hiding each new object for delay after its creation and for its first
// reads calls of Visible, whichever ends later.
func NewLag(delay time.Duration, reads int) *Lag {
	return &Lag{delay: delay, reads: reads, now: time.Now, objs: map[string]*lagging{}}
}

// Created starts key's lag (again, if it was made before).
func (l *Lag) Created(key string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.objs[key] = &lagging{at: l.now()}
}

// Visible reports whether key can be seen yet; keys never passed to Created always can. Each
// call while key is hidden counts as one read.
func (l *Lag) Visible(key string) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	o, ok := l.objs[key]
	if !ok {
		return true
	}
	if o.misses < l.reads || l.now().Sub(o.at) < l.delay {
		o.misses++
		return false
	}
	delete(l.objs, key)
	return true
}
