// Package cloudtest is the setup the vm cloud clients' tests share: the transport settings
// that talk to a fake quickly, and building a client from a config a test may tweak.
package cloudtest

import (
	"net/http"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudrest"
)

// Options are the settings of a client of a fake served through hc: provider "packer",
// short attempts, millisecond backoff and polling, requests recorded into rec (may be nil).
func Options(hc *http.Client, rec *rest.Recorder) cloudrest.Options {
	return cloudrest.Options{Provider: "packer", HTTPClient: hc, Timeout: 2 * time.Second,
		BackoffBase: time.Millisecond, Recorder: rec, PollInterval: time.Millisecond}
}

// New applies each tweak to cfg and returns newClient(cfg), failing t on an error.
func New[C, T any](t testing.TB, cfg C, newClient func(C) (T, error), tweak ...func(*C)) T {
	t.Helper()
	for _, tw := range tweak {
		tw(&cfg)
	}
	c, err := newClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
