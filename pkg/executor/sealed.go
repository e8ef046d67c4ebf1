package executor

import (
	"errors"
	"fmt"

	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// ErrBadSecretsKey is returned by New when Config.SecretsKey is not a curve (xkey) key pair.
var ErrBadSecretsKey = errors.New("executor: secrets key is not an xkey (curve) key pair")

// checkSecretsKey returns the public key of k ("" for nil), or ErrBadSecretsKey.
func checkSecretsKey(k nkeys.KeyPair) (string, error) {
	if k == nil {
		return "", nil
	}
	pub, err := k.PublicKey()
	if err != nil || !nkeys.IsValidPublicCurveKey(pub) {
		return "", ErrBadSecretsKey
	}
	return pub, nil
}

// openSecrets opens the job's sealed secrets for its provider. Its errors are permanent and
// say what the operator or the workflow author must change; they never carry a value.
func (e *Executor) openSecrets(j *jobs.Job) ([]providers.SecretValue, error) {
	if e.cfg.SecretsKey == nil {
		return nil, errors.New("the job carries sealed secrets but this executor has no secrets key; set secrets_key_file " +
			"(SINDRI_SECRETS_KEY_FILE, -secrets-key-file) to a seed made by `sindri-executor keygen`, " +
			"and the action's executor-key input to the public key it prints")
	}
	opened, err := secrets.Open(j.SealedSecrets, j.ID, e.cfg.SecretsKey)
	var wrong *secrets.WrongKeyError
	switch {
	case errors.As(err, &wrong):
		return nil, fmt.Errorf("cannot open the job's sealed secrets: they were sealed to public key %s, "+
			"but this executor's key is %s; set the action's executor-key input to %s", wrong.SealedTo, wrong.Have, wrong.Have)
	case err != nil:
		return nil, fmt.Errorf("cannot open the job's sealed secrets: %w", err)
	}
	return (&secrets.Result{Secrets: opened}).ProviderSecrets(), nil
}
