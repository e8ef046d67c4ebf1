package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/jobs"
)

// maxKeyFileSize bounds what loadSecretsKey reads: a seed file is one short line.
const maxKeyFileSize = 4096

// errNoXKeySeed is wrapped by every loadSecretsKey error about the file's content.
var errNoXKeySeed = errors.New("must hold an xkey seed: one line starting with \"SX\", as written by `sindri-executor keygen -o FILE`")

// readSeedLine reads the first line of path that is not blank or a comment (#), for the
// setting named setting. Errors name the setting and the file and never quote the content;
// what is wrapped by content errors. The caller clears the returned bytes.
func readSeedLine(setting, path string, what error) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", setting, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", setting, path, err)
	}
	defer clear(b)
	if len(b) > maxKeyFileSize {
		return nil, fmt.Errorf("%s %s: larger than %d bytes: it %w", setting, path, maxKeyFileSize, what)
	}
	for line := range bytes.Lines(b) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		return bytes.Clone(line), nil
	}
	return nil, fmt.Errorf("%s %s: the file is empty: it %w", setting, path, what)
}

// loadSecretsKey reads the xkey seed in path. Blank lines and lines starting with # are
// ignored. Errors name the file and never quote its content.
func loadSecretsKey(path string) (nkeys.KeyPair, error) {
	seed, err := readSeedLine("secrets_key_file", path, errNoXKeySeed)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	if !bytes.HasPrefix(seed, []byte("SX")) {
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

// errNoSigningSeed is wrapped by every loadSigningKey error about the file's content.
var errNoSigningSeed = errors.New("must hold a job signing seed: one line starting with \"SU\", as written by `sindri-executor keygen -signing -o FILE`")

// loadSigningKey reads the job signing seed (user nkey) in path, for the reaper's jobs.
// Errors name the file and never quote its content.
func loadSigningKey(path string) (nkeys.KeyPair, error) {
	seed, err := readSeedLine("signing_key_file", path, errNoSigningSeed)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	kp, err := jobs.SigningKey(string(seed))
	if err != nil {
		return nil, fmt.Errorf("signing_key_file %s: %v: it %w", path, err, errNoSigningSeed)
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
