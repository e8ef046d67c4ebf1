package apifake_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/sindri/deploy/v3/internal/apifake"
)

// fakeMachines is a provider fake: its own state and handlers, the harness in front.
type fakeMachines struct {
	api   *apifake.Server
	lag   *apifake.Lag
	mu    sync.Mutex
	names []string
}

func newFakeMachines(t apifake.TB, opts ...apifake.Option) *fakeMachines {
	f := &fakeMachines{lag: apifake.NewLag(0, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/apps/{app}/machines", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Name string `json:"name"`
		}
		if !f.api.CheckAuth(r, "Bearer tok") || f.api.DecodeJSON(r, &b) != nil {
			apifake.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "bad request"})
			return
		}
		f.mu.Lock()
		f.names = append(f.names, b.Name)
		f.mu.Unlock()
		f.lag.Created(b.Name)
		apifake.WriteJSON(w, http.StatusOK, map[string]string{"id": b.Name})
	})
	f.api = apifake.New(t, mux, append([]apifake.Option{apifake.WithName("machinesfake")}, opts...)...)
	return f
}

// exampleT stands for the *testing.T a real test passes.
type exampleT struct{ cleanups []func() }

func (*exampleT) Helper()                           {}
func (*exampleT) Errorf(format string, args ...any) { fmt.Printf("test failed: "+format+"\n", args...) }
func (t *exampleT) Cleanup(fn func())               { t.cleanups = append(t.cleanups, fn) }
func (t *exampleT) done() {
	for _, fn := range t.cleanups {
		fn()
	}
}

func Example() {
	t := &exampleT{}
	defer t.done()
	f := newFakeMachines(t)
	// The first create takes effect, but its response is lost.
	f.api.Add(apifake.Rule{Route: "POST /v1/apps/{app}/machines", Nth: 1, Action: apifake.ApplyThenDrop()})

	for range 2 {
		req, _ := http.NewRequest("POST", f.api.URL+"/v1/apps/a1/machines", strings.NewReader(`{"name":"m1"}`))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println("create: connection lost")
			continue
		}
		resp.Body.Close()
		fmt.Println("create:", resp.StatusCode)
	}
	fmt.Println("machines made:", len(f.names))
	for _, e := range f.api.Requests() {
		fmt.Printf("%s %d applied=%v fault=%q\n", e.Route, e.Status, e.Applied, e.Fault)
	}
	// Output:
	// create: connection lost
	// create: 200
	// machines made: 2
	// POST /v1/apps/{app}/machines 0 applied=true fault="apply then drop"
	// POST /v1/apps/{app}/machines 200 applied=true fault=""
}
