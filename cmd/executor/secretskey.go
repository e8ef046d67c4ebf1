package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/nats-io/nkeys"
)

// maxKeyFileSize bounds what loadSecretsKey reads: a seed file is one short line.
const maxKeyFileSize = 4096

// errNoXKeySeed is wrapped by every loadSecretsKey error about the file's content.
var errNoXKeySeed = errors.New("must hold an xkey seed: one line starting with \"SX\", as written by `sindri-executor keygen -o FILE`")

// loadSecretsKey reads the xkey seed in path. Blank lines and lines starting with # are
// ignored. Errors name the file and never quote its content.
func loadSecretsKey(path string) (nkeys.KeyPair, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secrets_key_file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("secrets_key_file %s: %w", path, err)
	}
	defer clear(b)
	if len(b) > maxKeyFileSize {
		return nil, fmt.Errorf("secrets_key_file %s: larger than %d bytes: it %w", path, maxKeyFileSize, errNoXKeySeed)
	}
	var seed []byte
	for line := range bytes.Lines(b) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		seed = line
		break
	}
	switch {
	case seed == nil:
		return nil, fmt.Errorf("secrets_key_file %s: the file is empty: it %w", path, errNoXKeySeed)
	case !bytes.HasPrefix(seed, []byte("SX")):
		what := "something else"
		if len(seed) > 1 && seed[0] == 'S' && bytes.IndexByte([]byte("UAONC"), seed[1]) >= 0 {
			// Only the seed type is shown (SU user, SA account, ...), never more of the seed.
			what = "an nkey seed of another type (" + string(seed[:2]) + "...)"
		} else if seed[0] == 'X' {
			what = "a public xkey, not its seed"
		}
		return nil, fmt.Errorf("secrets_key_file %s: holds %s: it %w", path, what, errNoXKeySeed)
	}
	kp, err := nkeys.FromCurveSeed(seed)
	if err != nil {
		return nil, fmt.Errorf("secrets_key_file %s: not a valid xkey seed (%w): it %w", path, err, errNoXKeySeed)
	}
	return kp, nil
}

// defaultKeyFile and defaultSigningKeyFile are where keygen writes without -o.
const (
	defaultKeyFile        = "sindri-secrets.xkey"
	defaultSigningKeyFile = "sindri-signing.nk"
)

// keygen is `sindri-executor keygen [-signing] [-o FILE]`. Without -signing it writes a new
// xkey seed to FILE and prints the public key, for the executors' secrets_key_file and the
// action's executor-key input. With -signing it writes a new user nkey seed and prints its
// public key, for the action's signing-key input (the seed, as a repository secret) and the
// executors' trusted_signers (the public key). The file gets mode 0600 and is never
// overwritten. Usage errors wrap errConfig.
func keygen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	signing := fs.Bool("signing", false, "create a job signing key (user nkey) instead of a secrets key (xkey)")
	out := fs.String("o", "", "file to write the seed to (must not exist; default "+defaultKeyFile+", or "+defaultSigningKeyFile+" with -signing)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sindri-executor keygen [-signing] [-o FILE]\n\n"+
			"Writes a new xkey seed to FILE (mode 0600) for the executor's secrets_key_file and prints\n"+
			"its public key for the action's executor-key input.\n"+
			"With -signing, writes a new job signing seed for the action's signing-key input (store it\n"+
			"as a repository secret) and prints its public key for the executors' trusted_signers.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: keygen: %w", errConfig, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: keygen: unexpected arguments %q", errConfig, fs.Args())
	}
	create, advice := nkeys.CreateCurveKeys, "set secrets_key_file to it on every executor;\n"+
		"set the action's executor-key input to the public key above."
	if *out == "" {
		*out = defaultKeyFile
		if *signing {
			*out = defaultSigningKeyFile
		}
	}
	if *signing {
		create, advice = nkeys.CreateUser, "store its content as a repository secret and pass it\n"+
			"to the action's signing-key input; add the public key above to trusted_signers on every executor."
	}
	kp, err := create()
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	defer kp.Wipe()
	seed, err := kp.Seed()
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	defer clear(seed)
	pub, err := kp.PublicKey()
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("keygen: %w (keygen never overwrites a key: executors holding it could no longer open jobs sealed to it)", err)
	}
	_, werr := f.Write(append(seed, '\n'))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(*out)
		return fmt.Errorf("keygen: write %s: %w", *out, werr)
	}
	fmt.Fprintln(stdout, pub)
	fmt.Fprintf(stderr, "wrote the seed to %s (mode 0600): %s\n", *out, advice)
	return nil
}
