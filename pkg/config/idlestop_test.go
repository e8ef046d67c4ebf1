package config

import (
	"strings"
	"testing"
	"time"
)

// TestIdleStopKey: deployment.idle_stop is read as a duration, and a file carrying it stays
// valid against the upstream schema (its deployment object takes extra keys).
func TestIdleStopKey(t *testing.T) {
	t.Parallel()
	text := strings.Replace(base, "provider: docker", "provider: docker\n  image: x/y:1\n  idle_stop: 45m", 1)
	c, diags := Load("sindri.yaml", []byte(text))
	if diags.HasErrors() {
		t.Fatalf("diagnostics:\n%s", render(diags))
	}
	for _, d := range diags {
		if d.Field == "deployment.idle_stop" {
			t.Errorf("unexpected diagnostic %s", d)
		}
	}
	if got, want := c.Deployment.IdleStopDuration(), 45*time.Minute; got != want {
		t.Errorf("IdleStopDuration = %v, want %v", got, want)
	}
	if ok, why := schemaAccepts(t, compileSchema(t), []byte(text)); !ok {
		t.Errorf("the upstream schema refuses deployment.idle_stop: %s", why)
	}
	if got := (Deployment{}).IdleStopDuration(); got != 0 {
		t.Errorf("unset IdleStopDuration = %v, want 0", got)
	}
}
