package secrets

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/config"
)

func newCurveKey(t *testing.T) (nkeys.KeyPair, string) {
	t.Helper()
	kp, err := nkeys.CreateCurveKeys()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return kp, pub
}

func sealFixture() []Resolved {
	return []Resolved{
		{Name: "API_TOKEN", Value: New(canary), Source: config.SecretSourceEnv, Origin: "process environment"},
		{Name: "TLS_KEY", Value: New("-----BEGIN KEY-----\nline two\n"), Source: config.SecretSourceFile,
			MountPath: "/secrets/tls.key", Permissions: "0600", Origin: "file /x/tls.key"},
	}
}

const jobA = "0193b6f0-0000-7000-8000-00000000000a"

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	kp, pub := newCurveKey(t)
	in := sealFixture()
	sealed, err := Seal(jobA, in, pub)
	if err != nil {
		t.Fatal(err)
	}
	mustNotLeak(t, "sealed text", sealed)
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		t.Fatalf("sealed text is not standard base64: %v", err)
	}
	mustNotLeak(t, "decoded envelope", string(raw))
	if to, err := SealedRecipient(sealed); err != nil || to != pub {
		t.Errorf("SealedRecipient = %q, %v; want %s", to, err, pub)
	}

	got, err := Open(sealed, jobA, kp)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("opened %d secrets, want %d", len(got), len(in))
	}
	for i, w := range in {
		g := got[i]
		if g.Name != w.Name || !g.Value.Equal(w.Value) || g.Source != w.Source || g.MountPath != w.MountPath ||
			g.Permissions != w.Permissions || g.Origin != SealedOrigin {
			t.Errorf("secret %d: got name=%s source=%s mount=%s perm=%s origin=%q (value equal %v), want %s %s %s %s",
				i, g.Name, g.Source, g.MountPath, g.Permissions, g.Origin, g.Value.Equal(w.Value), w.Name, w.Source, w.MountPath, w.Permissions)
		}
	}
	// Opened values are Values: printing the result shows no content.
	mustNotLeak(t, "formatted result", fmt.Sprintf("%v %+v %#v", got, got, got))

	// Each seal uses a fresh ephemeral sender and nonce.
	again, err := Seal(jobA, in, pub)
	if err != nil {
		t.Fatal(err)
	}
	if again == sealed {
		t.Error("two seals of the same secrets are identical")
	}
}

func TestSealEmptyList(t *testing.T) {
	t.Parallel()
	kp, pub := newCurveKey(t)
	sealed, err := Seal(jobA, nil, pub)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open(sealed, jobA, kp)
	if err != nil || len(got) != 0 {
		t.Errorf("Open = %v, %v; want no secrets and no error", got, err)
	}
}

func TestSealRefuses(t *testing.T) {
	t.Parallel()
	_, pub := newCurveKey(t)
	userKey, _ := nkeys.CreateUser()
	userPub, _ := userKey.PublicKey()
	for _, tc := range []struct {
		name      string
		job       string
		recipient string
		in        []Resolved
		want      error
	}{
		{"empty recipient", jobA, "", sealFixture(), ErrInvalidRecipient},
		{"user key as recipient", jobA, userPub, sealFixture(), ErrInvalidRecipient},
		{"garbage recipient", jobA, "XNOTAKEY", sealFixture(), ErrInvalidRecipient},
		{"no job id", "", pub, sealFixture(), ErrInvalidSecret},
		{"bad name", jobA, pub, []Resolved{{Name: "1BAD", Value: New(canary)}}, ErrInvalidSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Seal(tc.job, tc.in, tc.recipient)
			if !errors.Is(err, tc.want) || s != "" {
				t.Fatalf("Seal = %q, %v; want error %v", s, err, tc.want)
			}
			mustNotLeak(t, "error", err.Error())
		})
	}
}

// envelope decodes sealed for tests that alter it.
func envelope(t *testing.T, sealed string) sealedEnvelope {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		t.Fatal(err)
	}
	var e sealedEnvelope
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func encodeEnvelope(t *testing.T, e sealedEnvelope) string {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// sealPlain seals an arbitrary plaintext the way Seal does, for version and format tests.
func sealPlain(t *testing.T, plain []byte, recipient string) string {
	t.Helper()
	sender, senderPub := newCurveKey(t)
	box, err := sender.Seal(plain, recipient)
	if err != nil {
		t.Fatal(err)
	}
	return encodeEnvelope(t, sealedEnvelope{V: SealVersion, Alg: sealAlg, Recipient: recipient, Sender: senderPub,
		Box: base64.StdEncoding.EncodeToString(box)})
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	kp, pub := newCurveKey(t)
	other, otherPub := newCurveKey(t)
	sealed, err := Seal(jobA, sealFixture(), pub)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		sealed func(t *testing.T) string
		job    string
		key    nkeys.KeyPair
		want   error
		check  func(t *testing.T, err error)
	}{
		{name: "wrong recipient", sealed: func(*testing.T) string { return sealed }, job: jobA, key: other,
			want: ErrSealedWrongKey, check: func(t *testing.T, err error) {
				var w *WrongKeyError
				if !errors.As(err, &w) || w.SealedTo != pub || w.Have != otherPub {
					t.Errorf("WrongKeyError = %+v, want sealed to %s, have %s", w, pub, otherPub)
				}
			}},
		{name: "recipient field rewritten", sealed: func(t *testing.T) string {
			e := envelope(t, sealed)
			e.Recipient = otherPub
			return encodeEnvelope(t, e)
		}, job: jobA, key: other, want: ErrSealedTampered},
		{name: "tampered box", sealed: func(t *testing.T) string {
			e := envelope(t, sealed)
			box, _ := base64.StdEncoding.DecodeString(e.Box)
			box[len(box)-5] ^= 0x01
			e.Box = base64.StdEncoding.EncodeToString(box)
			return encodeEnvelope(t, e)
		}, job: jobA, key: kp, want: ErrSealedTampered},
		{name: "sender swapped", sealed: func(t *testing.T) string {
			e := envelope(t, sealed)
			e.Sender = otherPub
			return encodeEnvelope(t, e)
		}, job: jobA, key: kp, want: ErrSealedTampered},
		{name: "replayed into another job", sealed: func(*testing.T) string { return sealed },
			job: "0193b6f0-0000-7000-8000-00000000000b", key: kp, want: ErrSealedJobMismatch,
			check: func(t *testing.T, err error) {
				var m *JobMismatchError
				if !errors.As(err, &m) || m.SealedFor != jobA {
					t.Errorf("JobMismatchError = %+v, want sealed for %s", m, jobA)
				}
			}},
		{name: "unknown envelope version", sealed: func(t *testing.T) string {
			e := envelope(t, sealed)
			e.V = 2
			return encodeEnvelope(t, e)
		}, job: jobA, key: kp, want: ErrSealedVersion, check: func(t *testing.T, err error) {
			var v *SealVersionError
			if !errors.As(err, &v) || v.Version != 2 || v.Part != "envelope" {
				t.Errorf("SealVersionError = %+v, want envelope version 2", v)
			}
		}},
		{name: "unknown plaintext version", sealed: func(t *testing.T) string {
			return sealPlain(t, []byte(`{"v":7,"job":"`+jobA+`","secrets":[]}`), pub)
		}, job: jobA, key: kp, want: ErrSealedVersion},
		{name: "plaintext not a secrets list", sealed: func(t *testing.T) string {
			return sealPlain(t, []byte(`["`+canary+`"]`), pub)
		}, job: jobA, key: kp, want: ErrSealedMalformed},
		{name: "repeated name", sealed: func(t *testing.T) string {
			return sealPlain(t, []byte(`{"v":1,"job":"`+jobA+`","secrets":[{"name":"A","value":"x"},{"name":"A","value":"y"}]}`), pub)
		}, job: jobA, key: kp, want: ErrSealedMalformed},
		{name: "unknown alg", sealed: func(t *testing.T) string {
			e := envelope(t, sealed)
			e.Alg = "rot13"
			return encodeEnvelope(t, e)
		}, job: jobA, key: kp, want: ErrSealedMalformed},
		{name: "not base64", sealed: func(*testing.T) string { return "%%%" }, job: jobA, key: kp, want: ErrSealedMalformed},
		{name: "not JSON", sealed: func(*testing.T) string { return base64.StdEncoding.EncodeToString([]byte("hello")) },
			job: jobA, key: kp, want: ErrSealedMalformed},
		{name: "box not base64", sealed: func(t *testing.T) string {
			e := envelope(t, sealed)
			e.Box = "!!"
			return encodeEnvelope(t, e)
		}, job: jobA, key: kp, want: ErrSealedMalformed},
		{name: "box truncated", sealed: func(t *testing.T) string {
			e := envelope(t, sealed)
			e.Box = base64.StdEncoding.EncodeToString([]byte("xkv1"))
			return encodeEnvelope(t, e)
		}, job: jobA, key: kp, want: ErrSealedMalformed},
		{name: "no key", sealed: func(*testing.T) string { return sealed }, job: jobA, key: nil, want: ErrNoKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Open(tc.sealed(t), tc.job, tc.key)
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("Open = %d secrets, %v; want error %v", len(got), err, tc.want)
			}
			mustNotLeak(t, "error", err.Error())
			if tc.check != nil {
				tc.check(t, err)
			}
		})
	}
}

func ExampleSeal() {
	// The executor's operator runs `sindri-executor keygen` once; the action gets the public key.
	executorKey, _ := nkeys.CreateCurveKeys()
	pub, _ := executorKey.PublicKey()

	jobID := "0193b6f0-0000-7000-8000-000000000001"
	sealed, _ := Seal(jobID, []Resolved{{Name: "API_TOKEN", Value: New("s3cr3t-value")}}, pub)

	// On the executor:
	opened, err := Open(sealed, jobID, executorKey)
	fmt.Println(len(opened), opened[0].Name, opened[0].Value, err)
	_, err = Open(sealed, "0193b6f0-0000-7000-8000-000000000002", executorKey)
	fmt.Println(errors.Is(err, ErrSealedJobMismatch))
	// Output:
	// 1 API_TOKEN [redacted] <nil>
	// true
}
