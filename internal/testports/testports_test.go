package testports

import (
	"errors"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
)

func TestFreeDistinctBindableBelowEphemeral(t *testing.T) {
	if s, _, err := portRange(func(string) ([]byte, error) { return nil, errors.New("absent") }); err != nil || s != lowest {
		t.Fatalf("default range starts at %d (%v), want %d", s, err, lowest)
	}
	start, size, err := portRange(os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				p, err := next() // Free may not fail t outside the test's goroutine
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[p] {
					t.Errorf("port %d handed out twice", p)
				}
				seen[p] = true
				mu.Unlock()
				if p < start || p >= start+size {
					t.Errorf("port %d outside %d-%d", p, start, start+size-1)
				}
			}
		})
	}
	wg.Wait()
}

func TestFreeSkipsBoundPort(t *testing.T) {
	p := Free(t)
	// The next candidate is p+1 (or the range's start after wrapping); hold it.
	held := p + 1
	if held >= first+span {
		held = first
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(held))
	if err != nil {
		t.Skipf("cannot hold port %d: %v", held, err)
	}
	defer l.Close()
	if q := Free(t); q == held {
		t.Fatalf("Free returned port %d, which is bound", q)
	}
}

func TestPortRange(t *testing.T) {
	for _, c := range []struct {
		in          string
		start, size int
		fails       bool
	}{
		{"32768\t60999\n", 20000, 12768, false},
		{"40000 50000", 20000, 20000, false},
		{"1024 60000", 60001, 5535, false},
		{"1024 65000", 0, 0, true},
		{"junk", 20000, 12768, false},
	} {
		start, size, err := portRange(func(string) ([]byte, error) { return []byte(c.in), nil })
		if (err != nil) != c.fails || start != c.start || size != c.size {
			t.Errorf("portRange(%q) = %d, %d, %v; want %d, %d, fails %v", c.in, start, size, err, c.start, c.size, c.fails)
		}
	}
}
