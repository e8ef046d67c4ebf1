package apifake

import (
	"slices"
	"testing"
	"time"
)

func TestLagReads(t *testing.T) {
	t.Parallel()
	f := newThings(t, NewLag(0, 2))
	if got := f.create(t); got.status != 201 {
		t.Fatalf("create = %d", got.status)
	}
	var got []int
	for range 4 {
		got = append(got, f.call(t, nil, "GET", "/things/1", "").status)
	}
	if want := []int{404, 404, 200, 200}; !slices.Equal(got, want) {
		t.Errorf("reads after create = %v, want %v", got, want)
	}
}

func TestLagDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		delay time.Duration
		reads int
		after time.Duration // advance of the clock before each read
		want  []bool
	}{
		{"hidden for the delay", time.Second, 0, 400 * time.Millisecond, []bool{false, false, true, true}},
		{"reads outlast the delay", time.Second, 3, time.Second, []bool{false, false, false, true}},
		{"delay outlasts the reads", 3 * time.Second, 1, time.Second, []bool{false, false, true, true}},
		{"no lag", 0, 0, 0, []bool{true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := time.Unix(0, 0)
			l := NewLag(tt.delay, tt.reads)
			l.now = func() time.Time { return now }
			l.Created("m1")
			var got []bool
			for range tt.want {
				now = now.Add(tt.after)
				got = append(got, l.Visible("m1"))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Visible = %v, want %v", got, tt.want)
			}
			if !l.Visible("seeded") {
				t.Error("a key never Created is hidden")
			}
		})
	}
}

func TestLagRealClock(t *testing.T) {
	t.Parallel()
	l := NewLag(30*time.Millisecond, 0)
	l.Created("m1")
	if l.Visible("m1") {
		t.Fatal("visible at once")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !l.Visible("m1") {
		if time.Now().After(deadline) {
			t.Fatal("never visible")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNilLag(t *testing.T) {
	t.Parallel()
	var l *Lag
	l.Created("x")
	if !l.Visible("x") {
		t.Error("a nil Lag hides objects")
	}
}
