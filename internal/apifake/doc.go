// Package apifake is the fault-injecting half of the stateful fakes of provider APIs (Fly
// Machines, RunPod, Northflank, E2B, GitHub) that sindri's clients are tested against.
//
// A provider fake keeps its own state and serves it from its own http.ServeMux; New puts a
// Server in front of that mux. The fake's handlers use the Server for the checks every API
// shares — CheckAuth, DecodeJSON (strict: unknown fields are violations), Violationf — and
// a Lag for eventual consistency:
//
//	type fakeFly struct {
//		api      *apifake.Server
//		lag      *apifake.Lag
//		mu       sync.Mutex
//		machines map[string]machine
//	}
//
//	func newFakeFly(t testing.TB, opts ...apifake.Option) *fakeFly {
//		f := &fakeFly{lag: apifake.NewLag(0, 1), machines: map[string]machine{}}
//		mux := http.NewServeMux()
//		mux.HandleFunc("POST /v1/apps/{app}/machines", f.create)
//		mux.HandleFunc("GET /v1/apps/{app}/machines/{id}", f.get)
//		f.api = apifake.New(t, mux, append([]apifake.Option{apifake.WithName("flyfake"),
//			apifake.WithRequestID("Fly-Request-Id")}, opts...)...)
//		return f
//	}
//
// The handlers run only after New returned, so they may use f.api. Tests then shape the
// API's misbehaviour with Rules, without the fake knowing:
//
//	f.api.Add(apifake.Rule{Route: "POST /v1/apps/{app}/machines", Nth: 1, Action: apifake.ApplyThenDrop()})
//
// makes the first create take effect but lose its response, and a conformance suite run
// "with faults on" passes apifake.Chaos(seed). Rules match by method and path pattern, by
// the nth call or the first Times calls, or with a seeded probability; they answer a status
// (with Retry-After), delay, hang, apply then fail, apply then drop, or reset. The server
// logs each request (Requests) and counts them per mux pattern (Count, Counts), so a test
// can assert exactly what its client sent.
//
// Go's http.Transport itself retries an idempotent request (GET, or one with an
// Idempotency-Key header) whose reused connection is dropped, so such a request may be logged
// twice for one call of the client.
package apifake
