package vm

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
	"github.com/sindri/deploy/v3/pkg/providers/internal/shellword"
)

// DeliveryKeyVar names the executor variable (or job credential) holding the delivery
// secret: the per-environment SSH key that writes an instance's secrets is derived from it,
// so that every later Deploy, on any executor that has it, can write them again. Without it
// each Deploy makes a throwaway key: secrets reach an instance when it is launched, and a
// later change of them is not delivered (Deploy warns).
const DeliveryKeyVar = "SINDRI_VM_DELIVERY_KEY"

// minDeliveryKey is the shortest delivery secret accepted: it stands for an SSH key.
const minDeliveryKey = 32

// LabelSecretsDigest tags an instance with a keyed digest of the secrets last written to it
// (HMAC under the environment's derived delivery key, so the tag tells nothing about the
// values): an unchanged secret set is not written again.
const LabelSecretsDigest = "sindri.dev/secrets-digest"

// LabelSSHHostKey tags an instance with the SHA-256 pin of the SSH host key its first
// delivery met (hostKeyPin); every later delivery to it requires the same key.
const LabelSSHHostKey = "sindri.dev/ssh-host-key"

// secretsFile is where an instance's secrets go: KEY=VALUE lines (the env-file form of the
// other providers), mode 0600, owned by the login user.
const secretsFile = "/etc/sindri/secrets.env"

// profileFile exports secretsFile's variables into the login user's shells.
const profileFile = "/etc/profile.d/sindri-secrets.sh"

// deliveryComment ends the authorized_keys line of the delivery key.
const deliveryComment = "sindri-delivery"

// secretDelivery is what Deploy writes to an instance, and the key it logs in with.
type secretDelivery struct {
	signer ssh.Signer
	// derived: the key comes from the delivery secret and is the same at every Deploy of the
	// environment; else it is this Deploy's own and only a new instance trusts it.
	derived bool
	// digestKey keys the secrets digest (derived keys only).
	digestKey []byte
	content   []byte
	// skipped are file secrets, which VM instances do not take.
	skipped []string
	// planned: made for a Plan.
	planned bool
}

// newDelivery prepares env's delivery in region: the env file of the spec's secrets and the
// SSH key. Errors wrap providers.ErrInvalidSpec: a secret the env-file form cannot carry (a
// bad name, a line break in a value), or a delivery secret shorter than 32 characters.
func (p *Provider) newDelivery(s *providers.Spec, region string) (*secretDelivery, error) {
	vars := map[string]string{}
	d := &secretDelivery{}
	for _, sv := range s.Secrets {
		if sv.Value == nil {
			return nil, fmt.Errorf("%s: secret %s: %w: no value", Name, sv.Name, providers.ErrInvalidSpec)
		}
		if sv.MountPath != "" {
			d.skipped = append(d.skipped, sv.Name)
			continue
		}
		vars[sv.Name] = sv.Value.Reveal()
	}
	content, err := cli.FormatEnvFile(vars)
	if err != nil {
		return nil, fmt.Errorf("%s: secrets: %w: %w", Name, err, providers.ErrInvalidSpec)
	}
	d.content = content
	if d.signer, d.digestKey, err = p.derivedKey(s, region); err != nil {
		return nil, err
	}
	d.derived = d.signer != nil
	if !d.derived {
		seed := make([]byte, ed25519.SeedSize)
		_, _ = rand.Read(seed)
		if d.signer, err = ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(seed)); err != nil {
			return nil, fmt.Errorf("%s: delivery key: %w", Name, err)
		}
	}
	return d, nil
}

// derivedKey is the environment's delivery key in region, derived from the delivery secret
// (DeliveryKeyVar), and the key of its secrets digest; a nil signer when the secret is not
// set. Errors wrap providers.ErrInvalidSpec: a delivery secret shorter than 32 characters.
func (p *Provider) derivedKey(s *providers.Spec, region string) (ssh.Signer, []byte, error) {
	secret := p.credential(s, DeliveryKeyVar)
	switch {
	case secret == "":
		return nil, nil, nil
	case len(secret) < minDeliveryKey:
		return nil, nil, fmt.Errorf("%s: %s is shorter than %d characters: %w: set it to a long random value (openssl rand -hex 32), the same on every executor",
			Name, DeliveryKeyVar, minDeliveryKey, providers.ErrInvalidSpec)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("sindri-deploy vm delivery key v1\x00" + region + "\x00" + s.Env))
	seed := m.Sum(nil)
	m = hmac.New(sha256.New, seed)
	m.Write([]byte("secrets digest"))
	signer, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: delivery key: %w", Name, err)
	}
	return signer, m.Sum(nil), nil
}

// authorizedKey is the public key's authorized_keys line; a plan's throwaway key, which the
// Deploy would not use, is a placeholder.
func (d *secretDelivery) authorizedKey() string {
	if d.planned && !d.derived {
		return "ssh-ed25519 <a key made by the deploy, for this instance only> " + deliveryComment
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(d.signer.PublicKey()))) + " " + deliveryComment
}

// digest is the keyed digest of the content (derived keys only; "" else).
func (d *secretDelivery) digest() string {
	if !d.derived {
		return ""
	}
	m := hmac.New(sha256.New, d.digestKey)
	m.Write(d.content)
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// due reports whether the secrets must be written to an instance whose tags are tags, which
// this Deploy launched or not: a new instance gets a non-empty set; an existing one gets the
// set when its digest differs (including a set that became empty).
func (d *secretDelivery) due(tags map[string]string, launched bool) bool {
	if launched {
		return len(d.content) > 0
	}
	have := tags[LabelSecretsDigest]
	if have == "" {
		return len(d.content) > 0
	}
	return !d.derived || have != d.digest()
}

// userDataLines is the delivery's part of the instance's cloud-config (public: the public key
// and a profile script that holds no secret), to go after its other top-level keys and
// inside write_files.
func (d *secretDelivery) userData(path string) (topLevel, files string) {
	topLevel = "ssh_authorized_keys:\n  - " + d.authorizedKey() + "\n"
	files = "  - path: " + profileFile + "\n    permissions: \"0644\"\n    content: |\n" + indentLines(profileScript(path), "      ")
	return topLevel, files
}

// profileScript exports each KEY=VALUE line of path into a login shell, values verbatim
// (the file is not sourced: a value may hold spaces, quotes or $).
func profileScript(path string) string {
	path = shellword.Quote(path)
	return "if [ -r " + path + " ]; then\n" +
		"  while IFS= read -r sindri_line || [ -n \"$sindri_line\" ]; do\n" +
		"    case $sindri_line in [A-Za-z_]*=*) export \"$sindri_line\" ;; esac\n" +
		"  done < " + path + "\n" +
		"  unset sindri_line\n" +
		"fi\n"
}

// writeScript is the command the delivery runs on the instance, the env file on its stdin:
// it writes path (0600, the login user's) only when the content differs, and says
// "changed" or "unchanged". It holds no secret.
func writeScript(path string) string {
	q := shellword.Quote(path)
	return strings.Join([]string{
		"set -eu", "umask 077",
		"tmp=$(mktemp)", `trap 'rm -f "$tmp"' EXIT`, `cat >"$tmp"`,
		"if [ -f " + q + " ] && cmp -s \"$tmp\" " + q + "; then echo unchanged; exit 0; fi",
		`s=; [ "$(id -u)" = 0 ] || s='sudo -n'`,
		"$s install -d -m 0755 \"$(dirname " + q + ")\"",
		"$s install -o \"$(id -un)\" -g \"$(id -gn)\" -m 0600 \"$tmp\" " + q,
		"echo changed",
	}, "\n")
}

func indentLines(s, by string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(by + l)
		}
	}
	return b.String()
}

// skippedWarning names the file secrets left out, or is "".
func (d *secretDelivery) skippedWarning() string {
	if len(d.skipped) == 0 {
		return ""
	}
	return fmt.Sprintf("file secrets %v are not delivered: VM instances take secrets as environment variables (%s)", slices.Sorted(slices.Values(d.skipped)), secretsFile)
}
