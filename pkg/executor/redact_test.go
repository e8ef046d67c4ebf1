package executor_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// leakyForms are the sealed fixture's secrets as a provider may quote them: encoded, escaped,
// inside a longer base64 text, one line of a multi-line value.
func leakyForms() map[string]string {
	tlsKey := "-----BEGIN KEY-----\n" + sealedCanary + "\n"
	jsonKey, _ := json.Marshal(tlsKey)
	return map[string]string{
		"base64":           base64.StdEncoding.EncodeToString([]byte(sealedCanary)),
		"base64 url":       base64.URLEncoding.EncodeToString([]byte(sealedCanary + "?")),
		"basic auth":       base64.StdEncoding.EncodeToString([]byte("user:" + sealedCanary)),
		"json-escaped key": string(jsonKey),
		"url-escaped":      url.QueryEscape(sealedCanary + " &"),
	}
}

// leaky is the Fake whose Deploy quotes its secrets in every form in log lines, then fails
// once transiently and then permanently with errors that quote them too.
type leaky struct {
	*providertest.Fake
	calls atomic.Int32
}

func (p *leaky) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	var all []string
	for name, f := range leakyForms() {
		r.Log(name + ": " + f)
		all = append(all, f)
	}
	r.Progress("pushing with "+all[0], 1, 2)
	if p.calls.Add(1) == 1 {
		return nil, providers.Transient(errors.New("HTTP 503 for Authorization: Basic " + leakyForms()["basic auth"]))
	}
	return nil, errors.New("rejected body " + strings.Join(all, " "))
}

// TestSecretFormsRedactedEverywhere: a provider quoting a secret encoded (base64, inside a
// basic-auth header), escaped (JSON, URL) or by line reaches neither the job's events (log,
// progress, retrying, failed) nor the executor's log.
func TestSecretFormsRedactedEverywhere(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	key, pub := curveKey(t)
	cfg := testConfig(providertest.NewFake())
	var reg providers.Registry
	if err := reg.Register(&leaky{Fake: providertest.NewFake()}); err != nil {
		t.Fatal(err)
	}
	cfg.Registry, cfg.SecretsKey = &reg, key
	var logs syncBuf
	log := zerolog.New(&logs).Level(zerolog.DebugLevel)
	cfg.Logger = &log
	runExecutor(t, b, cfg)

	j := newJob(t, jobs.KindDeploy, "leaky", b.bump(t, "leaky", false))
	j.SealedSecrets = seal(t, j.ID, pub)
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeFailed)
	var sawRetry bool
	for _, ev := range evs {
		if _, ok := ev.Data.(*events.Retrying); ok {
			sawRetry = true
		}
	}
	if !sawRetry {
		t.Errorf("no retrying event: %v", types(evs))
	}
	raw, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return streamEmpty(t, b) })
	for name, f := range leakyForms() {
		// Test the redaction, never print what leaked.
		if strings.Contains(string(raw), f) {
			t.Errorf("the job's events carry the secret %s", name)
		}
		if strings.Contains(logs.String(), f) {
			t.Errorf("the executor log carries the secret %s", name)
		}
	}
	if strings.Contains(string(raw), sealedCanary) || strings.Contains(logs.String(), sealedCanary) {
		t.Error("the canary itself leaked")
	}
}
