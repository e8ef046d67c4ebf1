package providertest

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// RequestOperations runs one environment of cfg (with faults off) through Deploy, Status, Stop
// and Start when the provider has them, List when it is a providers.Lister, and Destroy, and
// checks the requests it reported under provider (providers.ReportAPIRequest): every
// Operation, a metric label, must name a kind of request, so it must not be empty or a bare
// HTTP method, and must hold no identifier of the environment: neither its name nor an id of
// what cfg.Inventory lists after Deploy (entries "kind/.../id", a "#..." suffix ignored, or a
// bare id). It installs the process's request observer, so the calling test must not be
// parallel.
func RequestOperations(t *testing.T, provider string, cfg ConformanceConfig) {
	t.Helper()
	if cfg.NewProvider == nil || cfg.NewSpec == nil || cfg.Inventory == nil {
		t.Fatal("providertest: RequestOperations needs NewProvider, NewSpec and Inventory")
	}
	recorded := RecordRequests(t, provider)
	c := &conformance{cfg: cfg}
	if c.cfg.Timeout <= 0 {
		c.cfg.Timeout = 2 * time.Minute
	}
	p, s := c.setup(t, "ops")
	ctx := c.ctx(t)
	c.deploy(t, ctx, p, s, nil)
	ids := []string{s.Env}
	for _, obj := range c.inventory(t, p, s.Env) {
		ids = append(ids, inventoryIDs(obj)...)
	}
	if len(ids) == 1 {
		t.Fatalf("Inventory(%s) after Deploy is empty: no ids to look for", s.Env)
	}
	c.status(t, ctx, p, s)
	if p.Capabilities().StopStart {
		c.stopStartOnce(t, ctx, p, s, false, "Stop")
		c.stopStartOnce(t, ctx, p, s, true, "Start")
	}
	if l, ok := p.(providers.Lister); ok {
		if _, err := l.List(ctx); err != nil {
			t.Fatalf("List: %v", err)
		}
	}
	c.destroy(t, ctx, p, s)

	reqs := recorded()
	if len(reqs) == 0 {
		t.Fatalf("no request of %s was reported", provider)
	}
	bad := map[string]string{} // operation → why
	for _, r := range reqs {
		if why := badOperation(r.Operation, ids); why != "" {
			bad[r.Operation] = why
		}
	}
	for _, op := range slices.Sorted(maps.Keys(bad)) {
		t.Errorf("reported operation %q: %s", op, bad[op])
	}
}

// httpMethods are the operations a request without a name would report.
var httpMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions}

// badOperation says what is wrong with op as a metric label ("" when nothing is).
func badOperation(op string, ids []string) string {
	if strings.TrimSpace(op) == "" {
		return "empty"
	}
	for _, m := range httpMethods {
		if strings.EqualFold(op, m) {
			return "a bare HTTP method"
		}
	}
	for _, id := range ids {
		if strings.Contains(op, id) {
			return "holds the identifier " + id
		}
	}
	return ""
}

// inventoryIDs returns the ids of an Inventory entry: the parts of "kind/.../id#uid" after
// the kind, or a bare id.
func inventoryIDs(obj string) []string {
	obj, _, _ = strings.Cut(obj, "#")
	parts := strings.Split(obj, "/")
	if len(parts) > 1 {
		parts = parts[1:]
	}
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
