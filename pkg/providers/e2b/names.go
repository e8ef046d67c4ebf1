package e2b

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Metadata keys of a sandbox besides the job's labels. Metadata is fixed at create.
const (
	// metaRepoHash tells environments of the same name in two repositories apart.
	metaRepoHash = "sindri.dev/repo-hash"
	// metaConfigHash is the hash of the create-time settings (template, env, network).
	metaConfigHash = "sindri.dev/config-hash"
	// metaTemplate names the template this provider built for the sandbox, when it did.
	metaTemplate = "sindri.dev/template"
	// metaTimeout is the timeout, in seconds, asked for at create: Start resumes with it
	// when it has neither config nor handle.
	metaTimeout = "sindri.dev/timeout"
)

// templatePrefix starts the name of every template this provider builds.
const templatePrefix = "sindri-"

// repoHash is 8 hex digits of the repository's name ("" when the job named none).
func repoHash(repo string) string {
	sum := sha256.Sum256([]byte(repo))
	return hex.EncodeToString(sum[:4])
}

// templateName is the name of the template built for env of repo with content (8 hex digits
// of the image and size): unique per environment, so that one environment's build never
// cancels another's (a new build cancels the running build of the same template), and new
// when the content changes.
func templateName(env, repo, content string) string {
	return templatePrefix + env + "-" + repoHash(repo) + "-" + content
}

var hex8 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{8}$`)

// templateOfEnv reports whether name is a template this provider built for env: of repo when
// known, of any repository otherwise (the reaper may know no repository).
func templateOfEnv(name, env, repo string) bool {
	rest, ok := strings.CutPrefix(name, templatePrefix+env+"-")
	if !ok || !hex8.MatchString(rest) {
		return false
	}
	return repo == "" || strings.HasPrefix(rest, repoHash(repo)+"-")
}

// filterFor is the metadata that finds env's sandboxes: its name, the managed-by mark and,
// when the job names its repository, the repository's hash.
func filterFor(env string, labels map[string]string) map[string]string {
	m := map[string]string{providers.LabelEnv: env, providers.LabelManagedBy: providers.ManagedByValue}
	if repo := labels[providers.LabelRepo]; repo != "" {
		m[metaRepoHash] = repoHash(repo)
	}
	return m
}
