package jobs

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nkeys"
)

// Job signatures travel in two NATS headers of the job message, beside its JSON body (the body
// and its schema are unchanged): the signer's public nkey and an ed25519 signature.
const (
	// HeaderSigner holds the signer's public user nkey (56 characters starting with U).
	HeaderSigner = "Sindri-Signer"
	// HeaderSignature holds the signature, base64url without padding.
	HeaderSignature = "Sindri-Signature"
)

// ErrSignature is wrapped by every Verify error: the job is unsigned, signed by a key the
// executor does not trust, or its signature does not match what arrived.
var ErrSignature = errors.New("job signature rejected")

// signingDomain keeps these signatures from meaning anything anywhere else.
const signingDomain = "sindri-job-signature-v1\n"

// signingInput binds the signature to the subject (the provider's queue) and the exact body.
func signingInput(subject string, body []byte) []byte {
	b := make([]byte, 0, len(signingDomain)+len(subject)+1+len(body))
	b = append(b, signingDomain...)
	b = append(b, subject...)
	b = append(b, '\n')
	return append(b, body...)
}

// Sign signs body as published on subject with kp, a user nkey created from a seed (SU...).
// It returns the values of HeaderSigner and HeaderSignature.
func Sign(kp nkeys.KeyPair, subject string, body []byte) (signer, signature string, err error) {
	if kp == nil {
		return "", "", errors.New("jobs: sign: no key")
	}
	signer, err = kp.PublicKey()
	if err != nil {
		return "", "", fmt.Errorf("jobs: sign: %w", err)
	}
	if !nkeys.IsValidPublicUserKey(signer) {
		return "", "", fmt.Errorf("jobs: sign: the key is not a user nkey (its public key must start with U; create one with `sindri-executor keygen -signing`)")
	}
	sig, err := kp.Sign(signingInput(subject, body))
	if err != nil {
		return "", "", fmt.Errorf("jobs: sign: %w", err)
	}
	return signer, base64.RawURLEncoding.EncodeToString(sig), nil
}

// SigningKey parses a signing seed (SU..., one line, surrounding space ignored). Errors never
// quote the value.
func SigningKey(seed string) (nkeys.KeyPair, error) {
	seed = strings.TrimSpace(seed)
	prefix, _, err := nkeys.DecodeSeed([]byte(seed))
	switch {
	case err != nil && nkeys.IsValidPublicUserKey(seed):
		return nil, errors.New("this is a public key (U...), not the signing seed: pass the seed (SU...) that `sindri-executor keygen -signing` wrote, and give its public key to the executors")
	case err != nil:
		return nil, errors.New("not an nkey seed: want the seed (one line starting with SU) that `sindri-executor keygen -signing` wrote")
	case prefix != nkeys.PrefixByteUser:
		return nil, errors.New("an nkey seed of another type: want a user seed (starting with SU), as `sindri-executor keygen -signing` writes")
	}
	return nkeys.FromSeed([]byte(seed))
}

// Verifier checks job signatures against a set of trusted public user nkeys.
type Verifier struct {
	trusted map[string]nkeys.KeyPair
}

// NewVerifier returns a Verifier trusting keys (public user nkeys, U...). Errors name the bad
// key (public keys are not secret) and say what is expected.
func NewVerifier(keys []string) (*Verifier, error) {
	v := &Verifier{trusted: map[string]nkeys.KeyPair{}}
	for i, k := range keys {
		k = strings.TrimSpace(k)
		if _, _, err := nkeys.DecodeSeed([]byte(k)); err == nil {
			return nil, fmt.Errorf("jobs: trusted signer %d is a seed (a private key), not a public key: give executors only the public key (U...) that `sindri-executor keygen -signing` printed, and replace this key, since it has been exposed", i+1)
		}
		if !nkeys.IsValidPublicUserKey(k) {
			shown := fmt.Sprintf(" (%q)", k)
			if strings.HasPrefix(k, "S") {
				// Possibly a damaged seed: never shown beyond its type.
				shown = fmt.Sprintf(" (starting %q, like a seed)", k[:min(2, len(k))])
			}
			return nil, fmt.Errorf("jobs: trusted signer %d%s is not a public user nkey: want 56 characters starting with U, as `sindri-executor keygen -signing` prints", i+1, shown)
		}
		kp, err := nkeys.FromPublicKey(k)
		if err != nil {
			return nil, fmt.Errorf("jobs: trusted signer %d (%q): %w", i+1, k, err)
		}
		v.trusted[k] = kp
	}
	return v, nil
}

// Verify checks that signature is a signature by signer, one of the trusted keys, over body as
// received on subject. Errors wrap ErrSignature and say which check failed.
func (v *Verifier) Verify(subject string, body []byte, signer, signature string) error {
	if signer == "" && signature == "" {
		return fmt.Errorf("%w: the job is not signed, and this executor runs only jobs signed by a trusted key (the action's signing-key input; an executor's reaper: signing_key_file)", ErrSignature)
	}
	kp, ok := v.trusted[signer]
	if !ok {
		return fmt.Errorf("%w: signer %q is not one of this executor's trusted signers", ErrSignature, signer)
	}
	sig, err := base64.RawURLEncoding.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("%w: the %s header is not base64url", ErrSignature, HeaderSignature)
	}
	if err := kp.Verify(signingInput(subject, body), sig); err != nil {
		return fmt.Errorf("%w: the signature of %s does not match the job as received (altered, or sent to another queue)", ErrSignature, signer)
	}
	return nil
}
