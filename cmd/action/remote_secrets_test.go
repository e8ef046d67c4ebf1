package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// remoteBus is a NATS deployment as the action sees it with nats-url: a JetStream server with
// a TCP listener and its store in a known directory, and a long-lived executor (serving the
// Fake provider) holding the secrets key.
type remoteBus struct {
	t     *testing.T
	srv   *events.Embedded
	js    jetstream.JetStream
	store string
	spy   *providertest.Fake // records the secrets each deploy receives (SecretsSeen)
	key   nkeys.KeyPair
	pub   string // the executors' public xkey
	// trusted, when set before startExecutor, are the executor's trusted_signers.
	trusted []string
	stops   []func()
}

// startRemote starts the server (and sets up the streams); the executor starts with
// startExecutor.
func startRemote(t *testing.T) *remoteBus {
	t.Helper()
	kp, err := nkeys.CreateCurveKeys()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	rb := &remoteBus{t: t, store: t.TempDir(), spy: providertest.NewFake(), key: kp, pub: pub}
	rb.srv, err = events.StartEmbedded(context.Background(), events.EmbeddedOptions{StoreDir: rb.store, Listen: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rb.shutdown)
	rb.connect()
	if err := events.Setup(context.Background(), rb.js, events.SetupOptions{}); err != nil {
		t.Fatal(err)
	}
	return rb
}

func (rb *remoteBus) connect() {
	rb.t.Helper()
	nc, err := rb.srv.Connect()
	if err != nil {
		rb.t.Fatal(err)
	}
	rb.stops = append(rb.stops, nc.Close)
	if rb.js, err = jetstream.New(nc); err != nil {
		rb.t.Fatal(err)
	}
}

// startExecutor runs an executor holding the secrets key until shutdown.
func (rb *remoteBus) startExecutor() {
	rb.t.Helper()
	rb.startWorker("remote")
}

// startWorker runs an executor named worker (several share the bus under distinct names)
// holding the secrets key until shutdown.
func (rb *remoteBus) startWorker(worker string) {
	rb.t.Helper()
	var reg providers.Registry
	if err := reg.Register(rb.spy); err != nil {
		rb.t.Fatal(err)
	}
	rb.runExecutor(executor.Config{Worker: worker, Registry: &reg, SecretsKey: rb.key, DrainTimeout: 2 * time.Second, TrustedSigners: rb.trusted})
}

// runExecutor runs an executor with cfg on the bus until shutdown.
func (rb *remoteBus) runExecutor(cfg executor.Config) {
	rb.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ex, err := executor.New(ctx, rb.js, cfg)
	if err != nil {
		cancel()
		rb.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ex.Run(ctx) }()
	rb.stops = append(rb.stops, func() { cancel(); <-done })
}

// shutdown stops the executor and the clients, then the server, which flushes its file store.
func (rb *remoteBus) shutdown() {
	for i := len(rb.stops) - 1; i >= 0; i-- {
		rb.stops[i]()
	}
	rb.stops = nil
	rb.srv.Shutdown()
}

// restart shuts everything down and starts the server again on the same store.
func (rb *remoteBus) restart() {
	rb.t.Helper()
	rb.shutdown()
	if err := rb.srv.Restart(context.Background()); err != nil {
		rb.t.Fatal(err)
	}
	rb.connect()
}

// storeBytes shuts the deployment down and returns every byte of its JetStream store.
func (rb *remoteBus) storeBytes(t *testing.T) []byte {
	t.Helper()
	rb.shutdown()
	var all bytes.Buffer
	err := filepath.WalkDir(rb.store, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		all.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all.Bytes()
}

const remoteSecretName = "E2E_REMOTE_CANARY"

func remoteRepo(t *testing.T) (*repoSim, string) {
	t.Helper()
	canary := "canary-remote-" + randHex(16)
	r := newRepo(t, "secrets:\n  - name: "+remoteSecretName+"\n    source: env\n")
	r.extraEnv[remoteSecretName] = canary
	r.secrets = append(r.secrets, canary)
	return r, canary
}

// TestRemoteExecutorReceivesSealedSecrets runs the action with nats-url and executor-key
// against a remote executor holding the key: the provider receives the secret, and the secret
// appears nowhere on the bus (the whole JetStream store is scanned) nor in what the action
// wrote.
func TestRemoteExecutorReceivesSealedSecrets(t *testing.T) {
	t.Parallel()
	rb := startRemote(t)
	rb.startExecutor()
	r, canary := remoteRepo(t)

	res := r.invoke("pull_request", prPayload(t, "opened", shaOpened), map[string]string{
		"nats-url": rb.srv.ClientURL(), "executor-key": rb.pub, "provider": providertest.FakeName,
	})
	if res.code != 0 || res.outputs["status"] != "ready" {
		t.Fatalf("exit %d status %q, want 0 ready", res.code, res.outputs["status"])
	}
	got := rb.spy.SecretsSeen()
	if len(got) != 1 || len(got[0]) != 1 || got[0][0].Name != remoteSecretName || got[0][0].Value.Reveal() != canary {
		t.Fatalf("the remote provider did not receive %s with the canary value (%d deploys)", remoteSecretName, len(got))
	}

	leak := func(where, text string) {
		t.Helper()
		if strings.Contains(text, canary) {
			t.Errorf("the canary secret appears in %s", where)
		}
	}
	mask := "::add-mask::" + canary + "\n"
	if !strings.Contains(res.stdout, mask) {
		t.Error("the secret was not masked")
	}
	leak("stdout", strings.ReplaceAll(res.stdout, mask, ""))
	leak("stderr", res.stderr)
	leak("the job summary", res.summary)
	for k, v := range res.outputs {
		leak("output "+k, v)
	}
	for _, c := range r.gh.Comments(e2ePR) {
		leak("a comment", c.Body)
	}
	store := rb.storeBytes(t)
	for _, want := range []string{"dev.sindri.job.succeeded.v1", r.env()} {
		if !bytes.Contains(store, []byte(want)) {
			t.Errorf("the store holds no %q: is it still plain JetStream file storage?", want)
		}
	}
	if bytes.Contains(store, []byte(canary)) {
		t.Error("the canary secret appears in the bus's store (a job, an event or an env record)")
	}
}

// TestRemoteWithoutExecutorKeyPublishesNothing: with nats-url, resolved secrets and no
// executor-key, the action stops with one error and nothing reaches the bus or GitHub.
func TestRemoteWithoutExecutorKeyPublishesNothing(t *testing.T) {
	t.Parallel()
	rb := startRemote(t)
	rb.startExecutor()
	r, canary := remoteRepo(t)

	res := r.invoke("pull_request", prPayload(t, "opened", shaOpened), map[string]string{
		"nats-url": rb.srv.ClientURL(), "provider": providertest.FakeName,
	})
	if res.code == 0 {
		t.Fatal("exit 0, want a failure")
	}
	errs := res.annotations("error")
	if len(errs) != 1 || !strings.Contains(errs[0], "executor-key") || !strings.Contains(errs[0], "in clear") ||
		!strings.Contains(errs[0], "sindri-executor keygen") || !strings.Contains(errs[0], "nothing was published") {
		t.Fatalf("error annotations = %q, want one naming executor-key", errs)
	}
	if strings.Contains(res.stdout, canary) && !strings.Contains(res.stdout, "::add-mask::"+canary) {
		t.Error("the canary secret appears in stdout")
	}
	st, err := rb.js.Stream(context.Background(), events.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.LastSeq != 0 {
		t.Errorf("%s holds %d message(s), want none", events.JobsStream, info.State.LastSeq)
	}
	if n := len(rb.spy.SecretsSeen()); n != 0 {
		t.Errorf("the provider was called %d times", n)
	}
	if c, d := r.gh.Comments(e2ePR), r.gh.Deployments(); len(c) != 0 || len(d) != 0 {
		t.Errorf("GitHub got %d comment(s) and %d deployment(s), want none", len(c), len(d))
	}
}

// TestRemoteQueuedJobAtRestIsSealed queues a job (wait: false) before any executor runs, so the
// job itself sits in the store: the store holds its sealed_secrets and not the secret; the
// blob opens only for that job. An executor started afterwards delivers the secret.
func TestRemoteQueuedJobAtRestIsSealed(t *testing.T) {
	t.Parallel()
	rb := startRemote(t)
	r, canary := remoteRepo(t)
	url := rb.srv.ClientURL()
	// An executor served the provider before (its durable consumer exists) but none runs now.
	subj, err := events.JobsSubject(providertest.FakeName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rb.js.CreateOrUpdateConsumer(context.Background(), events.JobsStream,
		executor.ConsumerConfig(providertest.FakeName, subj, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	res := r.invoke("pull_request", prPayload(t, "opened", shaOpened), map[string]string{
		"nats-url": url, "executor-key": rb.pub, "provider": providertest.FakeName, "wait": "false",
	})
	if res.code != 0 || res.outputs["status"] != "queued" || res.outputs["job-id"] == "" {
		t.Fatalf("exit %d status %q job %q, want 0 queued with a job id", res.code, res.outputs["status"], res.outputs["job-id"])
	}
	ctx := context.Background()
	st, err := rb.js.Stream(ctx, events.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := st.GetLastMsgForSubject(ctx, "sindri.jobs."+providertest.FakeName)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(msg.Data, []byte(canary)) {
		t.Fatal("the queued job carries the canary secret in clear")
	}
	j, err := jobs.Decode(msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	if j.ID != res.outputs["job-id"] || j.SealedSecrets == "" {
		t.Fatalf("queued job %s has sealed_secrets of %d bytes; want job %s with sealed secrets", j.ID, len(j.SealedSecrets), res.outputs["job-id"])
	}
	opened, err := secrets.Open(j.SealedSecrets, j.ID, rb.key)
	if err != nil || len(opened) != 1 || opened[0].Value.Reveal() != canary {
		t.Fatalf("open the queued job's secrets: %d secrets, %v; want the canary", len(opened), err)
	}
	if _, err := secrets.Open(j.SealedSecrets, "0193b6f0-0000-7000-8000-000000000000", rb.key); !errors.Is(err, secrets.ErrSealedJobMismatch) {
		t.Errorf("the blob opened for another job: %v", err)
	}

	store := rb.storeBytes(t)
	if !bytes.Contains(store, []byte(`"sealed_secrets"`)) {
		t.Error("the store does not hold the queued job: the scan below would prove nothing")
	}
	if bytes.Contains(store, []byte(canary)) {
		t.Error("the canary secret appears in the bus's store")
	}

	rb.restart()
	rb.startExecutor()
	fctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var last *events.Envelope
	for ev, err := range events.Follow(fctx, rb.js, j.ID) {
		if err != nil {
			t.Fatalf("follow %s: %v", j.ID, err)
		}
		last = ev
	}
	if last == nil || last.Type != events.TypeSucceeded {
		t.Fatalf("job ended with %v, want succeeded", last)
	}
	got := rb.spy.SecretsSeen()
	if len(got) != 1 || len(got[0]) != 1 || got[0][0].Value.Reveal() != canary {
		t.Errorf("the provider did not receive the canary (%d deploys)", len(got))
	}
}
