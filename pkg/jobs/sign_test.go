package jobs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/jobs"
)

func userKey(t *testing.T) (nkeys.KeyPair, string, string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	return kp, pub, string(seed)
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	kp, pub, _ := userKey(t)
	_, other, _ := userKey(t)
	body := []byte(`{"v":1,"id":"x"}`)
	const subj = "sindri.jobs.docker"
	signer, sig, err := jobs.Sign(kp, subj, body)
	if err != nil {
		t.Fatal(err)
	}
	if signer != pub {
		t.Fatalf("signer %q, want %q", signer, pub)
	}
	v, err := jobs.NewVerifier([]string{other, " " + pub + " "})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(subj, body, signer, sig); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	cases := []struct {
		name, subj, signer, sig, want string
		body                          []byte
	}{
		{"unsigned", subj, "", "", "not signed", body},
		{"altered body", subj, signer, sig, "does not match", []byte(`{"v":1,"id":"y"}`)},
		{"other queue", "sindri.jobs.fly", signer, sig, "does not match", body},
		{"untrusted signer", subj, "UNTRUSTED", sig, "not one of this executor's trusted signers", body},
		{"trusted key, someone else's signature", subj, other, sig, "does not match", body},
		{"garbage signature", subj, signer, "%%%", "not base64url", body},
		{"truncated signature", subj, signer, sig[:20], "does not match", body},
	}
	for _, c := range cases {
		err := v.Verify(c.subj, c.body, c.signer, c.sig)
		if !errors.Is(err, jobs.ErrSignature) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrSignature saying %q", c.name, err, c.want)
		}
	}
}

func TestSigningKeyAndVerifierRefuseWrongKeys(t *testing.T) {
	t.Parallel()
	_, pub, seed := userKey(t)
	if _, err := jobs.SigningKey("\n" + seed + "\n"); err != nil {
		t.Fatalf("user seed refused: %v", err)
	}
	xkp, _ := nkeys.CreateCurveKeys()
	xseed, _ := xkp.Seed()
	xpub, _ := xkp.PublicKey()
	for in, want := range map[string]string{
		pub:           "public key",
		string(xseed): "another type",
		"hunter2":     "not an nkey seed",
	} {
		_, err := jobs.SigningKey(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SigningKey(%.6s...) = %v, want an error saying %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), in) {
			t.Errorf("the error quotes the value: %v", err)
		}
	}
	damaged := seed[:len(seed)-1] // a seed missing its last character no longer decodes
	for in, want := range map[string]string{
		seed:    "is a seed",
		damaged: "like a seed",
		xpub:    "not a public user nkey",
		"":      "not a public user nkey",
	} {
		_, err := jobs.NewVerifier([]string{in})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewVerifier(%.6s...) = %v, want an error saying %q", in, err, want)
		}
		if err != nil && strings.HasPrefix(in, "S") && strings.Contains(err.Error(), in[:8]) {
			t.Errorf("the error quotes a seed: %v", err)
		}
	}
}
