package providertest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// canaryName is the secret the suite adds to every canary spec.
const canaryName = "SINDRI_CONFORMANCE_CANARY"

// minCanaryLen is the shortest secret value searched for: shorter ones ("1", "true") would
// match by chance.
const minCanaryLen = 8

// Canary is a secret value whose printed and JSON forms are redacted, as the executor's are.
type Canary string

// Reveal implements providers.Revealer.
func (c Canary) Reveal() string { return string(c) }

// String implements fmt.Stringer with the redacted form.
func (Canary) String() string { return "[redacted]" }

// GoString implements fmt.GoStringer with the redacted form.
func (Canary) GoString() string { return "[redacted]" }

// MarshalJSON implements json.Marshaler with the redacted form.
func (Canary) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// witness collects everything a provider said during the canary subtest: Reporter lines,
// JSON of its results and error texts.
type witness struct{ Recorder }

func (w *witness) json(what string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		w.add(fmt.Sprintf("%s: unmarshalable: %v", what, err))
		return
	}
	w.add(what + ": " + string(b))
}

func (w *witness) err(err error) error {
	if err != nil {
		w.add(fmt.Sprintf("error: %v | %+v", err, err))
	}
	return err
}

// canarySpec adds a canary secret, and a canary credential under every declared credential
// name the spec does not carry yet, and returns every secret and credential value to look for.
func canarySpec(p providers.Provider, s *providers.Spec) []string {
	s.Secrets = append(slices.Clone(s.Secrets), providers.SecretValue{Name: canaryName, Value: Canary("canary-secret-" + randomHex(12))})
	s.Credentials = slices.Clone(s.Credentials)
	for _, name := range p.Capabilities().Credentials {
		if !slices.ContainsFunc(s.Credentials, func(v providers.SecretValue) bool { return v.Name == name }) {
			s.Credentials = append(s.Credentials, providers.SecretValue{Name: name, Value: Canary("canary-cred-" + randomHex(12))})
		}
	}
	var vals []string
	for _, v := range slices.Concat(s.Secrets, s.Credentials) {
		if v.Value != nil && len(v.Value.Reveal()) >= minCanaryLen {
			vals = append(vals, v.Value.Reveal())
		}
	}
	return vals
}

// secretCanary runs every verb with canary secrets and credentials, and looks for their values
// in everything the provider returned or reported.
func (c *conformance) secretCanary(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "canary")
	vals := canarySpec(p, s)
	ctx := c.ctx(t)
	w := &witness{}
	plan := func() {
		pl, _, err := attempt(t, c, "Plan", func() (*providers.Plan, error) { return p.Plan(ctx, s) })
		if w.err(err) != nil {
			t.Fatalf("Plan: %v", err)
		}
		w.json("plan", pl)
	}
	deploy := func() *providers.Deployment {
		d, _, err := attempt(t, c, "Deploy", func() (*providers.Deployment, error) { return p.Deploy(ctx, s, w) })
		if w.err(err) != nil {
			t.Fatalf("Deploy: %v", err)
		}
		w.json("deployment", d)
		return d
	}
	status := func(s *providers.Spec) {
		st, _, err := attempt(t, c, "Status", func() (*providers.Status, error) { return p.Status(ctx, s) })
		if w.err(err) != nil {
			t.Fatalf("Status: %v", err)
		}
		w.json("status", st)
	}
	verb := func(name string, op func(context.Context, *providers.Spec) error, s *providers.Spec) error {
		return c.verb(t, name, func() error { return w.err(op(ctx, s)) })
	}
	plan()
	d := deploy()
	deploy()
	plan()
	status(s)
	ts := teardownSpec(s, d.Handle)
	ts.Credentials = s.Credentials // teardown may need them too; it must not print them either
	status(ts)
	if p.Capabilities().StopStart {
		if err := verb("Stop", p.Stop, ts); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if err := verb("Start", p.Start, ts); err != nil {
			t.Fatalf("Start: %v", err)
		}
	}
	if l, ok := p.(providers.Lister); ok {
		envs, _, err := attempt(t, c, "List", func() ([]providers.Managed, error) { return l.List(ctx) })
		if w.err(err) != nil {
			t.Fatalf("List: %v", err)
		}
		w.json("list", envs)
	}
	if err := verb("Destroy", p.Destroy, ts); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	status(ts)
	// Errors carry text too: make some.
	_ = verb("Stop", p.Stop, ts)
	_ = verb("Start", p.Start, ts)
	bad := *s
	bad.Env = "" // refused by every provider before it touches the platform
	_, err := p.Deploy(ctx, &bad, w)
	_ = w.err(err)
	_, err = p.Plan(ctx, &bad)
	_ = w.err(err)

	texts := w.Lines()
	for _, text := range texts {
		for _, v := range vals {
			if strings.Contains(text, v) {
				t.Errorf("a secret or credential value appears in what the provider said: %s", strings.ReplaceAll(text, v, "<CANARY>"))
			}
		}
	}
	if len(texts) == 0 {
		t.Errorf("the canary subtest saw nothing to search")
	}
}
