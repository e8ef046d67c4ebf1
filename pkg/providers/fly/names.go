package fly

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Fly app names are one namespace across all of Fly (fly.md §2.1): lowercase letters, digits
// and dashes, under 63 characters. Environment names are unique only within a repository, so
// two teams' "web-pr-7" would collide. The app name is therefore
//
//	[<prefix>-]<env, shortened>-<hash>
//
// where hash is the first 8 hex digits of SHA-256("<repo>\x00<env>"), repo being the
// sindri.dev/repo label (owner/name on GitHub; empty for local runs) and prefix the
// executor's app_prefix setting (empty by default). The env part is cut so the whole name has
// at most maxAppName characters, and never ends in a dash. Teardown derives the same name from
// Env and Labels alone, without the config.
const (
	maxAppName = 62
	hashLen    = 8
)

// AppName returns the Fly app name of environment env of repository repo (the
// sindri.dev/repo label) under the executor's app prefix; see the rule above.
func AppName(prefix, repo, env string) string {
	sum := sha256.Sum256([]byte(repo + "\x00" + env))
	hash := hex.EncodeToString(sum[:])[:hashLen]
	head := ""
	if prefix != "" {
		head = prefix + "-"
	}
	room := maxAppName - len(head) - 1 - hashLen
	base := env
	if len(base) > room {
		base = strings.TrimRight(base[:room], "-")
	}
	return head + base + "-" + hash
}

// validPrefix checks an app_prefix: lowercase letters, digits and inner dashes, at most 20.
func validPrefix(p string) error {
	if p == "" {
		return nil
	}
	if len(p) > 20 || !validName(p) {
		return fmt.Errorf("app prefix %q: lowercase letters, digits and inner dashes, at most 20 characters", p)
	}
	return nil
}

// validName reports whether s is lowercase letters, digits and inner dashes.
func validName(s string) bool {
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (r == '-' && i > 0 && i < len(s)-1)
		if !ok {
			return false
		}
	}
	return s != ""
}

// The home volume's name: volume names allow letters, digits and underscores (fly.md §4), and
// the app is the environment's own, so the upstream name is kept.
const homeVolume = "home_data"

// Machine metadata keys. Fly filters machines by one metadata pair
// (?metadata.<key>=<value>, fly.md §3.5), so the env and managed-by labels get keys of their
// own; all labels travel as JSON in metaLabels for List.
const (
	metaEnv        = "sindri_env"
	metaManagedBy  = "sindri_managed_by"
	metaLabels     = "sindri_labels"
	metaConfigHash = "sindri_config_hash"
	metaSecrets    = "sindri_secrets_hash"
)

// metadataFor returns the machine metadata for env's labels and hashes.
func metadataFor(env string, labels map[string]string, configHash, secretsHash string) map[string]string {
	l := maps.Clone(labels)
	if l == nil {
		l = map[string]string{}
	}
	l[providers.LabelEnv] = env
	l[providers.LabelManagedBy] = providers.ManagedByValue
	b, _ := json.Marshal(l) // a map of strings always marshals
	m := map[string]string{
		metaEnv:        env,
		metaManagedBy:  providers.ManagedByValue,
		metaLabels:     string(b),
		metaConfigHash: configHash,
	}
	if secretsHash != "" {
		m[metaSecrets] = secretsHash
	}
	return m
}

// labelsOf reads the labels a machine's metadata carries.
func labelsOf(md map[string]string) map[string]string {
	var l map[string]string
	if json.Unmarshal([]byte(md[metaLabels]), &l) != nil || l == nil {
		l = map[string]string{}
	}
	if env := md[metaEnv]; env != "" {
		l[providers.LabelEnv] = env
	}
	return l
}

// ours reports whether a machine's metadata says sindri made it for env.
func ours(m machine, env string) bool {
	md := m.Config.Metadata
	return md[metaManagedBy] == providers.ManagedByValue && md[metaEnv] == env
}
