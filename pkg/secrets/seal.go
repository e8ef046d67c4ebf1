package secrets

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/config"
)

// SealVersion is the version of the sealed-secrets format (docs/wire.md) Seal writes and Open
// accepts.
const SealVersion = 1

// sealAlg names the box construction: nkeys xkey "xkv1" (X25519, XSalsa20-Poly1305, random
// nonce), the format of nkeys.KeyPair.Seal.
const sealAlg = "xkv1"

// SealedOrigin is the Origin of the secrets Open returns.
const SealedOrigin = "sealed by the action"

// Sentinel errors of Seal and Open, for errors.Is. None of them ever carries a secret value.
var (
	// ErrInvalidRecipient: the recipient is not a public xkey ("X" followed by 55 base32
	// characters).
	ErrInvalidRecipient = errors.New("not a public xkey")
	// ErrSealedMalformed: the sealed text is not base64 of the documented JSON envelope, or the
	// opened plaintext is not a secrets list.
	ErrSealedMalformed = errors.New("sealed secrets are malformed")
	// ErrSealedVersion: the envelope or plaintext carries a version this code does not know
	// (see *SealVersionError).
	ErrSealedVersion = errors.New("unknown sealed secrets version")
	// ErrSealedWrongKey: the secrets were sealed to another executor key (see *WrongKeyError).
	ErrSealedWrongKey = errors.New("sealed to another key")
	// ErrSealedTampered: the box does not authenticate with this key: it was altered on the
	// way, or its recipient field was.
	ErrSealedTampered = errors.New("sealed box does not authenticate (altered, or sealed to another key)")
	// ErrSealedJobMismatch: the box was sealed for another job, so it was copied (replayed)
	// into this one (see *JobMismatchError).
	ErrSealedJobMismatch = errors.New("sealed secrets belong to another job")
	// ErrNoKey: Open was called without a key.
	ErrNoKey = errors.New("no secrets key")
)

// SealVersionError reports an unknown version of the envelope ("envelope") or of the
// plaintext inside the box ("plaintext"). It unwraps to ErrSealedVersion.
type SealVersionError struct {
	Part    string
	Version int
}

// Error implements error.
func (e *SealVersionError) Error() string {
	return fmt.Sprintf("sealed secrets %s version %d is not supported (this executor reads version %d)", e.Part, e.Version, SealVersion)
}

// Unwrap returns ErrSealedVersion.
func (e *SealVersionError) Unwrap() error { return ErrSealedVersion }

// WrongKeyError reports secrets sealed to another public key than the opener's. Both are
// public keys. It unwraps to ErrSealedWrongKey.
type WrongKeyError struct {
	// SealedTo is the recipient named in the envelope; Have is the opener's public key.
	SealedTo, Have string
}

// Error implements error.
func (e *WrongKeyError) Error() string {
	return fmt.Sprintf("sealed to public key %s, but this key is %s", e.SealedTo, e.Have)
}

// Unwrap returns ErrSealedWrongKey.
func (e *WrongKeyError) Unwrap() error { return ErrSealedWrongKey }

// JobMismatchError reports a box sealed for job SealedFor found in job Job. It unwraps to
// ErrSealedJobMismatch.
type JobMismatchError struct {
	SealedFor, Job string
}

// Error implements error.
func (e *JobMismatchError) Error() string {
	return fmt.Sprintf("sealed secrets were sealed for job %s, not job %s (copied from another job?)", e.SealedFor, e.Job)
}

// Unwrap returns ErrSealedJobMismatch.
func (e *JobMismatchError) Unwrap() error { return ErrSealedJobMismatch }

// sealedEnvelope is the JSON that Job.sealed_secrets holds, base64-encoded.
type sealedEnvelope struct {
	V         int    `json:"v"`
	Alg       string `json:"alg"`
	Recipient string `json:"recipient"`
	Sender    string `json:"sender"`
	Box       string `json:"box"`
}

// sealedPlain is the plaintext inside the box.
type sealedPlain struct {
	V       int           `json:"v"`
	Job     string        `json:"job"`
	Secrets []sealedEntry `json:"secrets"`
}

type sealedEntry struct {
	Name        string `json:"name"`
	Value       string `json:"value"`
	Source      string `json:"source,omitempty"`
	MountPath   string `json:"mount_path,omitempty"`
	Permissions string `json:"permissions,omitempty"`
}

// Seal seals resolved to the executor public xkey recipient, bound to the job jobID, and
// returns the text for Job.SealedSecrets: standard base64 of the JSON envelope
// {v, alg, recipient, sender, box} described in docs/wire.md. Each call uses a fresh ephemeral
// sender key. Errors: ErrInvalidRecipient, or an error wrapping ErrInvalidSecret when jobID is
// empty or an entry has no valid name. Errors never carry values.
func Seal(jobID string, resolved []Resolved, recipient string) (string, error) {
	recipient = strings.TrimSpace(recipient)
	if !nkeys.IsValidPublicCurveKey(recipient) {
		return "", fmt.Errorf("secrets: seal: recipient: %w", ErrInvalidRecipient)
	}
	if jobID == "" {
		return "", fmt.Errorf("secrets: seal: %w: no job id to bind the box to", ErrInvalidSecret)
	}
	p := sealedPlain{V: SealVersion, Job: jobID, Secrets: make([]sealedEntry, len(resolved))}
	for i, r := range resolved {
		if !validEnvKey(r.Name) {
			return "", fmt.Errorf("secrets: seal: %w: entry %d: name %q is not a valid environment variable name", ErrInvalidSecret, i+1, r.Name)
		}
		p.Secrets[i] = sealedEntry{Name: r.Name, Value: r.Value.Reveal(), Source: string(r.Source),
			MountPath: r.MountPath, Permissions: r.Permissions}
	}
	plain, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("secrets: seal: encode: %w", err)
	}
	defer clear(plain)
	sender, err := nkeys.CreateCurveKeys()
	if err != nil {
		return "", fmt.Errorf("secrets: seal: ephemeral key: %w", err)
	}
	defer sender.Wipe()
	senderPub, err := sender.PublicKey()
	if err != nil {
		return "", fmt.Errorf("secrets: seal: ephemeral key: %w", err)
	}
	box, err := sender.Seal(plain, recipient)
	if err != nil {
		return "", fmt.Errorf("secrets: seal: %w", err)
	}
	env, err := json.Marshal(sealedEnvelope{V: SealVersion, Alg: sealAlg, Recipient: recipient,
		Sender: senderPub, Box: base64.StdEncoding.EncodeToString(box)})
	if err != nil {
		return "", fmt.Errorf("secrets: seal: encode: %w", err)
	}
	return base64.StdEncoding.EncodeToString(env), nil
}

// SealedRecipient returns the public key the sealed text names as its recipient, without
// opening it. Errors wrap ErrSealedMalformed or ErrSealedVersion.
func SealedRecipient(sealed string) (string, error) {
	env, err := decodeEnvelope(sealed)
	if err != nil {
		return "", err
	}
	return env.Recipient, nil
}

func decodeEnvelope(sealed string) (*sealedEnvelope, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sealed))
	if err != nil {
		return nil, fmt.Errorf("secrets: open: %w: not base64", ErrSealedMalformed)
	}
	var env sealedEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("secrets: open: %w: envelope is not a JSON object {v, alg, recipient, sender, box}", ErrSealedMalformed)
	}
	if env.V != SealVersion {
		return nil, fmt.Errorf("secrets: open: %w", &SealVersionError{Part: "envelope", Version: env.V})
	}
	if env.Alg != sealAlg {
		return nil, fmt.Errorf("secrets: open: %w: alg %q (want %q)", ErrSealedMalformed, env.Alg, sealAlg)
	}
	if !nkeys.IsValidPublicCurveKey(env.Recipient) || !nkeys.IsValidPublicCurveKey(env.Sender) {
		return nil, fmt.Errorf("secrets: open: %w: recipient and sender must be public xkeys", ErrSealedMalformed)
	}
	return &env, nil
}

// Open opens text made by Seal with the executor's curve key pair and checks that it was sealed
// for job jobID. The values come back as Values; Origin is SealedOrigin. Errors (wrapped, never
// carrying a value): ErrNoKey; ErrSealedMalformed; ErrSealedVersion (*SealVersionError);
// ErrSealedWrongKey (*WrongKeyError); ErrSealedTampered; ErrSealedJobMismatch
// (*JobMismatchError).
func Open(sealed, jobID string, key nkeys.KeyPair) ([]Resolved, error) {
	if key == nil {
		return nil, fmt.Errorf("secrets: open: %w", ErrNoKey)
	}
	env, err := decodeEnvelope(sealed)
	if err != nil {
		return nil, err
	}
	have, err := key.PublicKey()
	if err != nil || !nkeys.IsValidPublicCurveKey(have) {
		return nil, fmt.Errorf("secrets: open: the key is not a curve (xkey) key pair: %w", ErrNoKey)
	}
	if env.Recipient != have {
		return nil, fmt.Errorf("secrets: open: %w", &WrongKeyError{SealedTo: env.Recipient, Have: have})
	}
	box, err := base64.StdEncoding.DecodeString(env.Box)
	if err != nil {
		return nil, fmt.Errorf("secrets: open: %w: box is not base64", ErrSealedMalformed)
	}
	plain, err := key.Open(box, env.Sender)
	switch {
	case errors.Is(err, nkeys.ErrInvalidEncVersion), errors.Is(err, nkeys.ErrInvalidEncrypted):
		return nil, fmt.Errorf("secrets: open: %w: box is not an xkv1 box", ErrSealedMalformed)
	case err != nil:
		return nil, fmt.Errorf("secrets: open: %w", ErrSealedTampered)
	}
	defer clear(plain)
	var p sealedPlain
	if err := json.Unmarshal(plain, &p); err != nil {
		// The decoder's message could quote plaintext: leave it out.
		return nil, fmt.Errorf("secrets: open: %w: the box does not hold a secrets list", ErrSealedMalformed)
	}
	if p.V != SealVersion {
		return nil, fmt.Errorf("secrets: open: %w", &SealVersionError{Part: "plaintext", Version: p.V})
	}
	if p.Job != jobID {
		return nil, fmt.Errorf("secrets: open: %w", &JobMismatchError{SealedFor: p.Job, Job: jobID})
	}
	out := make([]Resolved, len(p.Secrets))
	seen := make(map[string]bool, len(p.Secrets))
	for i, s := range p.Secrets {
		if !validEnvKey(s.Name) || seen[s.Name] {
			return nil, fmt.Errorf("secrets: open: %w: entry %d has an invalid or repeated name", ErrSealedMalformed, i+1)
		}
		seen[s.Name] = true
		out[i] = Resolved{Name: s.Name, Value: New(s.Value), Source: config.SecretSource(s.Source),
			Origin: SealedOrigin, MountPath: s.MountPath, Permissions: s.Permissions}
	}
	return out, nil
}
