// Package testports hands out host TCP ports for tests that publish a port later, for
// example through Docker, seconds after choosing it.
//
// The usual trick, binding 127.0.0.1:0 and closing the listener, returns a port from the
// kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default).
// That range is also where every other port-0 bind (embedded NATS servers, httptest servers,
// ":0" listeners) and the source port of every outgoing connection come from, so between the
// choice and Docker's bind another test or test binary can take the port and the deploy fails
// with "port is already allocated". Free instead hands out ports below the ephemeral range,
// which the kernel never picks by itself. Each process starts at a random offset and advances
// an atomic counter, so parallel tests never get the same port and concurrent test binaries
// (go test ./... runs several packages at once) rarely do; each candidate is checked to be
// bindable right now and skipped if not.
package testports

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

const (
	// lowest is the first port handed out; below it live well-known and registered services.
	lowest = 20000
	// defaultEphemeralLow is Linux's default low bound of the ephemeral range.
	defaultEphemeralLow = 32768
	// minSpan is the fewest ports worth using below the ephemeral range; with fewer, ports
	// above it are used instead.
	minSpan = 1000
)

var (
	setup    sync.Once
	first    int // first port of the range handed out
	span     int // its size
	offset   int // this process's random start within it
	counter  atomic.Uint64
	rangeErr error
)

// Free returns a TCP port outside the kernel's ephemeral range that nothing is bound to on
// 127.0.0.1 or the wildcard address right now, and that no other call in this process has
// returned. It fails t if no such port is left.
func Free(t testing.TB) int {
	t.Helper()
	p, err := next()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func next() (int, error) {
	setup.Do(func() {
		first, span, rangeErr = portRange(os.ReadFile)
		if rangeErr == nil {
			offset = rand.IntN(span)
		}
	})
	if rangeErr != nil {
		return 0, rangeErr
	}
	for range span {
		p := first + int((uint64(offset)+counter.Add(1)-1)%uint64(span))
		if bindable(p) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("testports: no bindable port left in %d-%d", first, first+span-1)
}

// portRange returns the ports to hand out: from lowest up to the ephemeral range's low bound
// or, when that leaves fewer than minSpan ports, from above its high bound to 65535.
func portRange(readFile func(string) ([]byte, error)) (start, size int, err error) {
	low, high := defaultEphemeralLow, 60999
	if b, err := readFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			l, errL := strconv.Atoi(f[0])
			h, errH := strconv.Atoi(f[1])
			if errL == nil && errH == nil && 0 < l && l <= h && h <= 65535 {
				low, high = l, h
			}
		}
	}
	if low-lowest >= minSpan {
		return lowest, low - lowest, nil
	}
	if 65535-high >= minSpan {
		return high + 1, 65535 - high, nil
	}
	return 0, 0, fmt.Errorf("testports: the ephemeral range %d-%d leaves too few ports outside it", low, high)
}

// bindable reports whether a listener can bind p on 127.0.0.1 and on the wildcard address
// (where Docker publishes by default) right now.
func bindable(p int) bool {
	for _, addr := range []string{"127.0.0.1", ""} {
		l, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(p)))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}
