package northflank

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Northflank ids are slugs of names, unique within a team (projects) or a project (services,
// volumes), and names are short: projects and volumes 3-39 characters, services 3-54, each a
// letter first and single inner dashes (B2, B3.1, B5). Environment names are DNS labels of up
// to 63 characters, unique only within a repository, so every name is
//
//	[<prefix>-]<env, shortened>-<hash>
//
// with hash the first 8 hex digits of SHA-256("<repo>\x00<env>") (repo: the sindri.dev/repo
// label), the env part cut so the whole fits, and a leading digit given an "e" in front.
// Teardown derives the same names from Env and Labels alone.
const (
	maxProjectName = 39
	maxServiceName = 54
	maxVolumeName  = 39
	hashLen        = 8
	// managedTag marks what sindri made; envTagPrefix + hash marks whose environment it is.
	managedTag   = "sindri-deploy"
	envTagPrefix = "sindri-env-"
	// cfgTagPrefix + the config hash records what the service was made from.
	cfgTagPrefix = "sindri-cfg-"
)

var dashes = regexp.MustCompile(`-+`)

// envHash identifies env of repo in names and tags.
func envHash(repo, env string) string {
	sum := sha256.Sum256([]byte(repo + "\x00" + env))
	return hex.EncodeToString(sum[:])[:hashLen]
}

// nameFor builds a name of at most max characters from prefix and env; see the rule above.
func nameFor(prefix, repo, env string, max int) string {
	base := env
	if prefix != "" {
		base = prefix + "-" + env
	}
	base = strings.Trim(dashes.ReplaceAllString(strings.ToLower(base), "-"), "-")
	if base == "" || base[0] < 'a' || base[0] > 'z' {
		base = "e" + base
	}
	room := max - 1 - hashLen
	if len(base) > room {
		base = strings.TrimRight(base[:room], "-")
	}
	return base + "-" + envHash(repo, env)
}

// slug is the id Northflank derives from a name: lower case, spaces as dashes.
func slug(name string) string {
	return dashes.ReplaceAllString(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), " ", "-"), "-")
}

// names are an environment's derived names.
type names struct {
	// project is the environment's own project, used when the config names none.
	project string
	service string
	volume  string
	envTag  string
}

func namesFor(servicePrefix, repo, env string) names {
	return names{
		project: nameFor("sindri", repo, env, maxProjectName),
		service: nameFor(servicePrefix, repo, env, maxServiceName),
		volume:  nameFor("", repo, env, maxVolumeName-len("-data")) + "-data",
		envTag:  envTagPrefix + envHash(repo, env),
	}
}

// projectDescription marks a project the provider made for env: only such a project is
// ever deleted.
func projectDescription(env string) string {
	return "Sindri preview environment " + env + ", made by sindri-deploy and removed with it"
}

// hasTags reports whether tags hold every one of want.
func hasTags(tags []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(tags, w) {
			return false
		}
	}
	return true
}

// descriptionChars is the set the API allows in a description (B3.1): others become '_'.
var descriptionChars = regexp.MustCompile(`[^a-zA-Z0-9.,?\s\\/'"()\[\];` + "`" + `%^&*\-_:!]`)

// Label keys in service descriptions: short, so the labels fit the 200 characters.
var descriptionKeys = []struct{ label, key string }{
	{providers.LabelEnv, "env"},
	{providers.LabelExpiresAt, "expires"},
	{providers.LabelRepo, "repo"},
	{providers.LabelPR, "pr"},
	{providers.LabelSHA, "sha"},
}

// serviceDescription carries env's labels (services have no labels; tags allow no ':' or
// '/') as "sindri-deploy env:<env> expires:<t> repo:<r> pr:<n> sha:<s>", cut at 200.
func serviceDescription(env string, labels map[string]string) string {
	var b strings.Builder
	b.WriteString(managedTag)
	for _, k := range descriptionKeys {
		v := labels[k.label]
		if k.label == providers.LabelEnv {
			v = env
		}
		if v == "" {
			continue
		}
		part := " " + k.key + ":" + descriptionChars.ReplaceAllString(v, "_")
		if b.Len()+len(part) > 200 {
			break
		}
		b.WriteString(part)
	}
	return b.String()
}

// labelsOf reads the labels back from a service description.
func labelsOf(description string) map[string]string {
	out := map[string]string{}
	fields := strings.Fields(description)
	if len(fields) == 0 || fields[0] != managedTag {
		return out
	}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		for _, dk := range descriptionKeys {
			if dk.key == k {
				out[dk.label] = v
			}
		}
	}
	if len(out) > 0 {
		out[providers.LabelManagedBy] = providers.ManagedByValue
	}
	return out
}
