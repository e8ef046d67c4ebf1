package apifake

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestActionsAsSeenByClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		action     Action
		status     int    // 0: the client gets an error
		header     string // want Retry-After
		body       string
		made       int // things made by the request
		logStatus  int
		logApplied bool
	}{
		{"pass", Action{}, 201, "", `{"id":"1","name":"a"}`, 1, 201, true},
		{"respond", Respond(409, map[string]string{"error": "taken"}), 409, "", `{"error":"taken"}`, 0, 409, false},
		{"respond raw bytes", Respond(502, []byte("<html>bad gateway</html>")), 502, "", "<html>bad gateway</html>", 0, 502, false},
		{"default error body", Respond(500, nil), 500, "", `{"error":"Internal Server Error"}`, 0, 500, false},
		{"429 with Retry-After", TooManyRequests(1500 * time.Millisecond), 429, "2", `{"error":"Too Many Requests"}`, 0, 429, false},
		{"apply then fail", ApplyThenFail(503), 503, "", `{"error":"Service Unavailable"}`, 1, 503, true},
		{"apply then drop", ApplyThenDrop(), 0, "", "", 1, 0, true},
		{"reset", Reset(), 0, "", "", 0, 0, false},
		{"delay then pass", Delay(10 * time.Millisecond), 201, "", `{"id":"1","name":"a"}`, 1, 201, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newThings(t, nil, WithRules(Rule{Name: "r", Route: "POST /things", Action: tt.action}))
			got := f.create(t)
			if tt.status == 0 {
				if got.err == nil {
					t.Errorf("client got %d %s, want a connection error", got.status, got.body)
				}
			} else if got.err != nil || got.status != tt.status || got.body != tt.body {
				t.Errorf("client got %d %q (%v), want %d %q", got.status, got.body, got.err, tt.status, tt.body)
			}
			if tt.header != "" && got.header.Get("Retry-After") != tt.header {
				t.Errorf("Retry-After = %q, want %q", got.header.Get("Retry-After"), tt.header)
			}
			if n := f.count(); n != tt.made {
				t.Errorf("things made = %d, want %d", n, tt.made)
			}
			log := f.api.Requests()
			if len(log) != 1 || log[0].Status != tt.logStatus || log[0].Applied != tt.logApplied || log[0].Fault != "r" {
				t.Errorf("log = %+v, want one entry with status %d, applied %v, fault r", log, tt.logStatus, tt.logApplied)
			}
		})
	}
}

func TestDelayWaits(t *testing.T) {
	t.Parallel()
	f := newThings(t, nil, WithRules(Rule{Action: Delay(50 * time.Millisecond)}))
	start := time.Now()
	if got := f.create(t); got.status != 201 {
		t.Fatalf("got %d (%v), want 201", got.status, got.err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered after %v, want at least 50ms", d)
	}
}

func TestHangUntilClientGoes(t *testing.T) {
	t.Parallel()
	f := newThings(t, nil, WithRules(Rule{Action: Hang()}))
	c := &http.Client{Timeout: 100 * time.Millisecond}
	got := f.call(t, c, "GET", "/things/1", "")
	var ne interface{ Timeout() bool }
	if !errors.As(got.err, &ne) || !ne.Timeout() {
		t.Fatalf("got %d (%v), want a client timeout", got.status, got.err)
	}
	// The hang ends when the client goes: the request is then logged with no status.
	deadline, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	for f.api.Requests()[0].Fault == "" || f.api.Requests()[0].Status != 0 {
		select {
		case <-deadline.Done():
			t.Fatalf("log = %+v", f.api.Requests())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestHangEndsAtClose(t *testing.T) {
	t.Parallel()
	f := newThings(t, nil, WithRules(Rule{Action: Hang()}))
	done := make(chan reply, 1)
	go func() { done <- f.call(t, nil, "GET", "/things/1", "") }()
	for f.api.Total() == 0 {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { f.api.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a hanging request")
	}
	if got := <-done; got.err == nil {
		t.Errorf("client got %d, want an error", got.status)
	}
}

func TestRuleConditions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rules []Rule
		want  []int // statuses of five GET /things/1 after one create
	}{
		{"nth", []Rule{{Route: "GET /things/{id}", Nth: 2, Action: Respond(500, nil)}}, []int{200, 500, 200, 200, 200}},
		{"first n times", []Rule{{Route: "GET /things/{id}", Times: 2, Action: Respond(503, nil)}}, []int{503, 503, 200, 200, 200}},
		{"other route untouched", []Rule{{Route: "GET /other/{id}", Action: Respond(500, nil)}}, []int{200, 200, 200, 200, 200}},
		{"other method untouched", []Rule{{Route: "DELETE /things/{id}", Action: Respond(500, nil)}}, []int{200, 200, 200, 200, 200}},
		{"first rule wins, both count", []Rule{
			{Route: "/things/", Times: 1, Action: Respond(429, nil)},
			{Route: "GET /things/{id}", Nth: 1, Action: Respond(500, nil)},
			{Route: "GET /things/{id}", Nth: 2, Action: Respond(502, nil)},
		}, []int{429, 502, 200, 200, 200}},
		{"queued one-shot rules", []Rule{
			{Route: "GET /things/{id}", Times: 1, Action: Respond(429, nil)},
			{Route: "GET /things/{id}", Times: 1},
			{Route: "GET /things/{id}", Times: 1, Action: Respond(500, nil)},
		}, []int{429, 200, 500, 200, 200}},
		{"probability one", []Rule{{Route: "GET /things/{id}", Probability: 1, Action: Respond(503, nil)}}, []int{503, 503, 503, 503, 503}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newThings(t, nil)
			f.create(t)
			f.api.Add(tt.rules...)
			var got []int
			for range 5 {
				got = append(got, f.call(t, nil, "GET", "/things/1", "").status)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("statuses = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestProbabilityIsSeeded(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) []int {
		f := newThings(t, nil, WithSeed(seed), WithRules(Rule{Route: "GET /things/{id}", Probability: 0.3, Action: Respond(503, nil)}))
		f.create(t)
		var got []int
		for range 60 {
			got = append(got, f.call(t, nil, "GET", "/things/1", "").status)
		}
		return got
	}
	a, b, c := run(7), run(7), run(8)
	if !slices.Equal(a, b) {
		t.Errorf("seed 7 gave\n%v\nthen\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 7 and 8 gave the same faults %v", a)
	}
	if n := len(slices.DeleteFunc(slices.Clone(a), func(s int) bool { return s != 503 })); n < 5 || n > 35 {
		t.Errorf("%d of 60 requests faulted at probability 0.3: %v", n, a)
	}
}

func TestClearRules(t *testing.T) {
	t.Parallel()
	f := newThings(t, nil, WithRules(Rule{Action: Respond(503, nil)}))
	if got := f.create(t); got.status != 503 {
		t.Fatalf("with the rule: %d, want 503", got.status)
	}
	f.api.ClearRules()
	if got := f.create(t); got.status != 201 {
		t.Errorf("after ClearRules: %d, want 201", got.status)
	}
}
