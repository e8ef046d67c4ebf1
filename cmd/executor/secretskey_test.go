package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// writeKeyFile writes text to a fresh 0600 file and returns its path.
func writeKeyFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secrets.xkey")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKeygenWritesSeedAndPrintsPublicKey(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "k.xkey")
	var stdout, stderr bytes.Buffer
	if err := keygen([]string{"-o", out}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	pub := strings.TrimSpace(stdout.String())
	if !nkeys.IsValidPublicCurveKey(pub) {
		t.Fatalf("stdout = %q, want one public xkey", stdout.String())
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("seed file mode %v, want 0600", fi.Mode().Perm())
	}
	kp, err := loadSecretsKey(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := kp.PublicKey(); got != pub {
		t.Errorf("loaded key's public key %s, keygen printed %s", got, pub)
	}
	seed, _ := os.ReadFile(out)
	if strings.Contains(stdout.String()+stderr.String(), strings.TrimSpace(string(seed))) {
		t.Error("keygen printed the seed")
	}
	if !strings.Contains(stderr.String(), "secrets_key_file") || !strings.Contains(stderr.String(), "executor-key") {
		t.Errorf("stderr %q does not say where the two halves go", stderr.String())
	}

	// Never over an existing key.
	err = keygen([]string{"-o", out}, io.Discard, io.Discard)
	if err == nil || !errors.Is(err, os.ErrExist) {
		t.Errorf("second keygen to the same file = %v, want an error wrapping os.ErrExist", err)
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(again, seed) {
		t.Error("the existing key file was changed")
	}
	if err := keygen([]string{"extra"}, io.Discard, io.Discard); !errors.Is(err, errConfig) {
		t.Errorf("keygen with an argument = %v, want a usage error", err)
	}
}

// keygen -signing makes the pair for job signatures: the seed the action's signing-key input
// takes and the public key trusted_signers takes; a job signed with one verifies with the other.
func TestKeygenSigning(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "signing.nk")
	var stdout, stderr bytes.Buffer
	if err := keygen([]string{"-signing", "-o", out}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	pub := strings.TrimSpace(stdout.String())
	seed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout.String()+stderr.String(), strings.TrimSpace(string(seed))) {
		t.Error("keygen printed the seed")
	}
	if !strings.Contains(stderr.String(), "signing-key") || !strings.Contains(stderr.String(), "trusted_signers") {
		t.Errorf("stderr %q does not say where the two halves go", stderr.String())
	}
	kp, err := jobs.SigningKey(string(seed))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jobs.NewVerifier([]string{pub})
	if err != nil {
		t.Fatalf("the printed public key is not accepted as a trusted signer: %v", err)
	}
	signer, sig, err := jobs.Sign(kp, "sindri.jobs.docker", []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify("sindri.jobs.docker", []byte("{}"), signer, sig); err != nil {
		t.Errorf("a job signed with the written seed does not verify with the printed key: %v", err)
	}
}

func TestLoadSecretsKey(t *testing.T) {
	t.Parallel()
	kp, _ := nkeys.CreateCurveKeys()
	seed, _ := kp.Seed()
	pub, _ := kp.PublicKey()
	user, _ := nkeys.CreateUser()
	userSeed, _ := user.Seed()
	good := writeKeyFile(t, "# executor secrets key\n\n"+string(seed)+"\n")
	got, err := loadSecretsKey(good)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := got.PublicKey(); p != pub {
		t.Errorf("public key %s, want %s", p, pub)
	}
	corrupt := []byte(string(seed))
	corrupt[10] ^= 0x01
	for _, tc := range []struct {
		name string
		text string
		want string
	}{
		{"empty", "\n# nothing\n", "empty"},
		{"user seed", string(userSeed), "another type (SU...)"},
		{"public key instead of seed", pub, "public xkey, not its seed"},
		{"corrupt seed", string(corrupt), "not a valid xkey seed"},
		{"too large", strings.Repeat("x", maxKeyFileSize+1), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := writeKeyFile(t, tc.text)
			_, err := loadSecretsKey(p)
			if err == nil {
				t.Fatal("loadSecretsKey succeeded")
			}
			for _, w := range []string{p, tc.want, "must hold an xkey seed", `"SX"`} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), string(userSeed)) || strings.Contains(err.Error(), string(corrupt)) {
				t.Error("error quotes the file's content")
			}
		})
	}
}

// TestLoadConfigSecretsKeyFile: secrets_key_file follows the precedence of every setting, and
// a bad file is a configuration error naming it.
func TestLoadConfigSecretsKeyFile(t *testing.T) {
	t.Parallel()
	keyFor := func() (string, string) {
		kp, _ := nkeys.CreateCurveKeys()
		seed, _ := kp.Seed()
		pub, _ := kp.PublicKey()
		return writeKeyFile(t, string(seed)+"\n"), pub
	}
	fileKey, filePub := keyFor()
	envKey, envPub := keyFor()
	flagKey, flagPub := keyFor()
	hcl := filepath.Join(t.TempDir(), "executor.hcl")
	if err := os.WriteFile(hcl, []byte("secrets_key_file = \""+fileKey+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		wantPub string
	}{
		{"none", nil, nil, ""},
		{"file", []string{"-config", hcl}, nil, filePub},
		{"env over file", []string{"-config", hcl}, map[string]string{"SINDRI_SECRETS_KEY_FILE": envKey}, envPub},
		{"flag over env", []string{"-config", hcl, "-secrets-key-file", flagKey}, map[string]string{"SINDRI_SECRETS_KEY_FILE": envKey}, flagPub},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := loadConfig(tc.args, envMap(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if c.SecretsKey != nil {
				got, _ = c.SecretsKey.PublicKey()
			}
			if got != tc.wantPub {
				t.Errorf("secrets key %q, want %q", got, tc.wantPub)
			}
		})
	}

	bad := writeKeyFile(t, "not a seed\n")
	_, err := loadConfig([]string{"-secrets-key-file", bad}, envMap(nil), io.Discard)
	if !errors.Is(err, errConfig) || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "xkey seed") {
		t.Errorf("bad key file: %v, want a configuration error naming %s and saying it must be an xkey seed", err, bad)
	}
	_, err = loadConfig(nil, envMap(map[string]string{"SINDRI_SECRETS_KEY_FILE": filepath.Join(t.TempDir(), "missing")}), io.Discard)
	if !errors.Is(err, errConfig) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing key file: %v, want a configuration error wrapping os.ErrNotExist", err)
	}
}

// sealSpy is the Fake provider recording the secrets a deploy receives.
type sealSpy struct {
	*providertest.Fake
	got chan []providers.SecretValue
}

func (s sealSpy) Deploy(ctx context.Context, sp *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	s.got <- sp.Secrets
	return s.Fake.Deploy(ctx, sp, r)
}

// TestRunOpensSealedSecrets runs the program with SINDRI_SECRETS_KEY_FILE from keygen: a job
// sealed to the printed public key reaches the provider with its secret.
func TestRunOpensSealedSecrets(t *testing.T) {
	t.Parallel()
	b := startTestBus(t)
	keyFile := filepath.Join(t.TempDir(), "secrets.xkey")
	var pubOut bytes.Buffer
	if err := keygen([]string{"-o", keyFile}, &pubOut, io.Discard); err != nil {
		t.Fatal(err)
	}
	spy := sealSpy{Fake: providertest.NewFake(), got: make(chan []providers.SecretValue, 1)}
	env := map[string]string{
		"SINDRI_NATS_URL": b.url, "SINDRI_PROVIDERS": "fake", "SINDRI_METRICS_LISTEN": "127.0.0.1:0",
		"SINDRI_DRAIN_TIMEOUT": "1s", "SINDRI_SECRETS_KEY_FILE": keyFile,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs lockedBuf
	go func() { done <- runWith(ctx, nil, envMap(env), &logs, []providers.Provider{spy}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})

	const canary = "canary-run-0c9d2f-do-not-print"
	j := makeJob(t, jobs.KindDeploy, "run-sealed", b.bump(t, "run-sealed", false))
	sealed, err := secrets.Seal(j.ID, []secrets.Resolved{{Name: "CANARY", Value: secrets.New(canary)}}, strings.TrimSpace(pubOut.String()))
	if err != nil {
		t.Fatal(err)
	}
	j.SealedSecrets = sealed
	b.publish(t, j)
	if ev := b.terminal(t, j.ID, 20*time.Second); ev.Type != events.TypeSucceeded {
		t.Fatalf("job ended %s: %s", ev.Type, dataJSON(ev))
	}
	got := <-spy.got
	if len(got) != 1 || got[0].Name != "CANARY" || got[0].Value.Reveal() != canary {
		t.Errorf("provider got %d secrets, want CANARY with the canary value", len(got))
	}
	if strings.Contains(logs.String(), canary) {
		t.Error("the executor's logs carry the canary secret")
	}
	if !strings.Contains(logs.String(), strings.TrimSpace(pubOut.String())) {
		t.Error("the executor does not log its secrets public key at start")
	}
}
