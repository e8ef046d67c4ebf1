package apifake

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestRequestLogAndCounts(t *testing.T) {
	t.Parallel()
	f := newThings(t, nil, WithRules(Rule{Name: "busy", Route: "GET /things/{id}", Nth: 2, Action: Respond(503, nil)}))
	f.call(t, nil, "POST", "/things", "{ \"size\" : [1, 2.50],\n \"name\": \"a\" }")
	f.call(t, nil, "GET", "/things/1", "")
	f.call(t, nil, "GET", "/things/1?verbose=1&x=y", "")
	f.call(t, nil, "GET", "/nowhere", "")
	want := []Entry{
		{Route: "POST /things", Method: "POST", Path: "/things", Body: `{"name":"a","size":[1,2.50]}`, Status: 201, Applied: true, RequestID: "apifake-1"},
		{Route: "GET /things/{id}", Method: "GET", Path: "/things/1", Status: 200, Applied: true, RequestID: "apifake-2"},
		{Route: "GET /things/{id}", Method: "GET", Path: "/things/1", Query: "verbose=1&x=y", Status: 503, Fault: "busy", RequestID: "apifake-3"},
		{Route: "GET /nowhere", Method: "GET", Path: "/nowhere", Status: 404, Applied: true, RequestID: "apifake-4"},
	}
	if got := f.api.Requests(); !slices.Equal(got, want) {
		t.Errorf("log =\n%+v\nwant\n%+v", got, want)
	}
	if got := f.api.Count("GET /things/{id}"); got != 2 {
		t.Errorf("Count(GET /things/{id}) = %d, want 2", got)
	}
	if got := f.api.Total(); got != 4 {
		t.Errorf("Total = %d, want 4", got)
	}
	f.api.ResetCounts()
	if got := f.api.Counts(); len(got) != 0 || len(f.api.Requests()) != 4 {
		t.Errorf("after ResetCounts: counts %v, %d logged; want none, 4", got, len(f.api.Requests()))
	}
}

func TestRequestIDHeader(t *testing.T) {
	t.Parallel()
	f := newThings(t, nil, WithName("flyfake"), WithRequestID("Fly-Request-Id"),
		WithRules(Rule{Nth: 2, Action: Respond(500, nil)}))
	var got []string
	for range 3 {
		got = append(got, f.create(t).header.Get("Fly-Request-Id"))
	}
	if want := []string{"flyfake-1", "flyfake-2", "flyfake-3"}; !slices.Equal(got, want) {
		t.Errorf("request ids = %v, want %v (faulted answers included)", got, want)
	}
}

func TestHoldMakesRequestsOverlap(t *testing.T) {
	t.Parallel()
	f := newThings(t, nil)
	f.api.Hold("POST /things", 3)
	var wg sync.WaitGroup
	statuses := make(chan int, 3)
	for range 3 {
		wg.Go(func() { statuses <- f.create(t).status })
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 201 {
			t.Errorf("held create answered %d, want 201", s)
		}
	}
	// The hold is spent: a fourth request is not held.
	done := make(chan int, 1)
	go func() { done <- f.create(t).status }()
	select {
	case s := <-done:
		if s != 201 {
			t.Errorf("fourth create answered %d, want 201", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the fourth create was held")
	}
}

func TestHoldWaitsForAll(t *testing.T) {
	t.Parallel()
	f := newThings(t, nil)
	f.api.Hold("POST /things", 2)
	c := &http.Client{Timeout: 100 * time.Millisecond}
	if got := f.call(t, c, "POST", "/things", `{}`); got.err == nil {
		t.Errorf("a lone held request was answered %d, want a client timeout", got.status)
	}
}

func TestBeforeRunsInOrder(t *testing.T) {
	t.Parallel()
	f := newThings(t, nil)
	var ran []string
	f.api.Before("GET /things/{id}", func() { ran = append(ran, "first get: thing made behind the client's back"); f.create(t) })
	f.api.Before("GET /things/{id}", func() { ran = append(ran, "second get") })
	if got := f.call(t, nil, "GET", "/things/1", ""); got.status != 200 {
		t.Errorf("GET after the hook made the thing = %d, want 200", got.status)
	}
	f.call(t, nil, "GET", "/things/1", "")
	f.call(t, nil, "GET", "/things/1", "")
	if len(ran) != 2 || ran[1] != "second get" {
		t.Errorf("hooks ran %q, want the two in order, once each", ran)
	}
}

func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	f := newThings(t, nil, WithSeed(1), WithRules(Rule{Route: "POST /things", Probability: 0.5, Action: ApplyThenFail(500)}))
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() { f.create(t) })
	}
	wg.Wait()
	if got := f.count(); got != 40 {
		t.Errorf("things made = %d, want 40 (apply-then-fail applies)", got)
	}
	if got := f.api.Count("POST /things"); got != 40 {
		t.Errorf("Count = %d, want 40", got)
	}
	faulted := 0
	for _, e := range f.api.Requests() {
		if e.Status == 500 {
			faulted++
		}
	}
	if faulted == 0 || faulted == 40 {
		t.Errorf("%d of 40 creates faulted at probability 0.5", faulted)
	}
}
