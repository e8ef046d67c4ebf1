package config

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sindri/deploy/v3/internal/excerpt"
	"github.com/sindri/deploy/v3/pkg/catalog"
)

// Patterns from the upstream schema (contract §1.2-§1.6).
var (
	versionRE    = regexp.MustCompile(`^\d+\.\d+$`)
	nameRE       = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	secretNameRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	permRE       = regexp.MustCompile(`^0[0-7]{3}$`)
	digestRE     = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// MaxNameLength bounds name: it becomes DNS labels and container names (RFC 1123 label).
const MaxNameLength = 63

const noMax = math.MaxInt32

// Enum values (contract §1.7); serde matches them exactly, and so do we. The provider values
// (providerValues) come from providerSchemas.
var (
	gpuTierValues = catalog.GenericTiers
	profileValues = []string{"minimal", "fullstack", "anthropic-dev", "systems", "enterprise", "devops", "mobile",
		"visionflow-core", "visionflow-data-scientist", "visionflow-creative", "visionflow-full"}
)

func (d *decoder) decodeConfig(root *yaml.Node) *Config {
	c := &Config{}
	m := d.mapping(root, "")
	if m == nil {
		return c
	}
	m.special = map[string]string{
		"metadata": "top-level metadata (a Sindri V2 habit) is informational only",
	}
	m.required("version", `add version: "3.0"`)
	m.str("version", &c.Version, checkVersion)
	m.required("name", "add a name such as my-env (lowercase letters, digits and '-')")
	m.str("name", &c.Name, pattern(nameRE, "a valid name (lowercase letter first, then lowercase letters, digits or '-')"), maxLen(MaxNameLength))
	m.required("deployment", "add deployment: {provider: docker}")
	m.obj("deployment", nil, func(s *mapView) { d.deployment(s, &c.Deployment) })
	if !m.has("extensions") {
		d.warnf(keyOrNode(m, "extensions"), "extensions", "add extensions: {profile: minimal} (upstream Sindri refuses a file without an extensions block)",
			"extensions block is missing; no extension profile will be installed")
	}
	m.obj("extensions", nil, func(s *mapView) { d.extensions(s, &c.Extensions) })
	if items, path, ok := m.seq("secrets"); ok {
		c.Secrets = d.secrets(m, items, path)
	}
	m.obj("providers", nil, func(s *mapView) { d.providers(s, &c.Providers) })
	m.finish()
	return c
}

// keyOrNode returns the key node of key if present (even null), else the mapping itself.
func keyOrNode(m *mapView, key string) *yaml.Node {
	if e, ok := m.entries[key]; ok {
		return e.k
	}
	return m.node
}

func checkVersion(s string) (Severity, string, string) {
	if !versionRE.MatchString(s) {
		return SeverityError, fmt.Sprintf("%s is not a config version", excerpt.Quote(s)), `use "3.0" (Sindri V3) or "1.0" (Sindri V2)`
	}
	if major, _, _ := strings.Cut(s, "."); major != "1" && major != "3" {
		return SeverityWarning, fmt.Sprintf("unknown config version %s; read as a V3 file", excerpt.Quote(s)), `use "3.0" (Sindri V3) or "1.0" (Sindri V2)`
	}
	return 0, "", ""
}

func checkProvider(s string) (Severity, string, string) {
	if s == "vm" {
		return SeverityError, `unknown provider "vm"`,
			"VM images (AWS, Azure, GCP, OCI, Alibaba) are built with provider: packer and a providers.packer block; " + imageJobsHint
	}
	return enum("provider", providerValues...)(s)
}

func (d *decoder) deployment(m *mapView, dep *Deployment) {
	m.special = map[string]string{
		"gpu": "GPU settings belong under deployment.resources.gpu; upstream Sindri ignores deployment.gpu too",
	}
	m.required("provider", "valid: "+strings.Join(providerValues, ", "))
	var p string
	if m.str("provider", &p, checkProvider) {
		dep.Provider = ProviderName(p)
	}
	m.str("distro", &dep.Distro, enum("distro", "ubuntu", "fedora", "opensuse"))
	m.str("image", &dep.Image)
	m.obj("image_config", nil, func(s *mapView) {
		ic := &ImageConfig{}
		dep.ImageConfig = ic
		s.required("registry", "e.g. registry: ghcr.io/pacphi/sindri")
		s.str("registry", &ic.Registry)
		s.str("version", &ic.Version)
		s.str("tag_override", &ic.TagOverride)
		s.str("digest", &ic.Digest, pattern(digestRE, "an image digest"))
		s.str("resolution_strategy", &ic.ResolutionStrategy, enum("resolution strategy", "semver", "latest-stable", "pin-to-cli", "explicit"))
		s.boolp("allow_prerelease", nil, &ic.AllowPrerelease)
		s.boolp("verify_signature", nil, &ic.VerifySignature)
		s.boolp("verify_provenance", nil, &ic.VerifyProvenance)
		s.str("pull_policy", &ic.PullPolicy, enum("pull policy", "Always", "IfNotPresent", "Never"))
		s.str("certificate_identity", &ic.CertificateIdentity)
		s.str("certificate_oidc_issuer", &ic.CertificateOIDCIssuer)
	})
	m.obj("buildFromSource", nil, func(s *mapView) {
		b := &BuildFromSource{}
		dep.BuildFromSource = b
		s.boolean("enabled", &b.Enabled)
		s.str("gitRef", &b.GitRef)
	})
	m.obj("resources", nil, func(s *mapView) {
		r := &dep.Resources
		s.str("memory", &r.Memory, sizeCheck(false))
		s.intp("cpus", nil, &r.CPUs, 1, noMax)
		s.obj("gpu", nil, func(g *mapView) {
			gpu := &GPU{}
			r.GPU = gpu
			g.boolean("enabled", &gpu.Enabled)
			g.str("type", &gpu.Type, enum("gpu type", "nvidia", "amd"))
			g.intp("count", nil, &gpu.Count, 1, 8)
			g.str("tier", &gpu.Tier, gpuTier)
			g.str("memory", &gpu.Memory, sizeCheck(false))
		})
	})
	m.obj("volumes", nil, func(s *mapView) {
		s.obj("workspace", nil, func(w *mapView) {
			ws := &Workspace{}
			dep.Volumes.Workspace = ws
			w.str("path", &ws.Path)
			w.str("size", &ws.Size, sizeCheck(true))
		})
	})
	m.str("idle_stop", &dep.IdleStop, idleStopCheck)
}

// idleStopCheck accepts a positive Go duration for deployment.idle_stop.
func idleStopCheck(s string) (Severity, string, string) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return 0, "", ""
	}
	return SeverityError, fmt.Sprintf("%s is not a positive duration", excerpt.Quote(s)), `write a Go duration such as "30m" or "2h" (it can shorten the executor's idle stop, never lengthen it); leave the key out for the executor's`
}

// gpuTier accepts the generic tiers and every GPU model name of pkg/catalog; whether the
// chosen provider offers the model is checked once the provider is known (gpu_models.go).
func gpuTier(s string) (Severity, string, string) {
	if catalog.IsModel(s) {
		return 0, "", ""
	}
	sev, msg, hint := enum("gpu tier", gpuTierValues...)(s)
	if msg != "" && !strings.HasPrefix(hint, "values are case") {
		hint += "; or a GPU model (" + strings.Join(catalog.AllModels(), ", ") + ")"
	}
	return sev, msg, hint
}

// checkProfile accepts the V3 extension profiles.
func checkProfile(s string) (Severity, string, string) {
	sev, msg, hint := enum("extension profile", profileValues...)(s)
	if s == "ai-dev" {
		hint = "the V2 profile ai-dev does not exist in Sindri V3; use anthropic-dev, or list the extensions under extensions.active"
	}
	return sev, msg, hint
}

func (d *decoder) extensions(m *mapView, ext *Extensions) {
	v2 := d.v2Profile(m, ext)
	if !v2 {
		m.str("profile", &ext.Profile, checkProfile)
		m.strList("additional", nil, &ext.Additional)
	}
	m.strList("active", nil, &ext.Active)
	m.boolp("auto_install", nil, &ext.AutoInstall)
	if k, v, path, ok := m.get("autoInstall"); ok {
		if b, ok := m.boolValue(v, path); ok {
			switch {
			case ext.AutoInstall == nil:
				ext.AutoInstall = &b
				d.warnf(k, path, "rename it to auto_install",
					"autoInstall is the camelCase spelling of auto_install: honoured here, but upstream Sindri ignores it and its schema rejects it")
			case *ext.AutoInstall != b:
				d.errorf(k, path, "keep only auto_install", "autoInstall (%t) contradicts auto_install (%t)", b, *ext.AutoInstall)
			default:
				d.warnf(k, path, "remove autoInstall", "autoInstall duplicates auto_install")
			}
		}
	}
	hasProfile, hasActive, hasAdditional := m.has("profile"), m.has("active"), m.has("additional")
	switch {
	case hasProfile && hasActive:
		d.errorf(keyOrNode(m, "active"), join(m.path, "active"), "use profile (optionally with additional), or active alone",
			"profile and active are mutually exclusive")
	case hasActive && hasAdditional:
		d.errorf(keyOrNode(m, "additional"), join(m.path, "additional"), "move these names into extensions.active",
			"additional adds to a profile; with active, list every extension in active")
	case !hasProfile && !hasActive:
		d.warnf(m.node, m.path, "set extensions.profile (e.g. minimal) or extensions.active",
			"neither profile nor active is set; no extensions will be installed (upstream's schema requires one of them)")
	}
}

var secretSources = []string{"env", "file", "vault", "s3"}

// secretFieldSource says which source each optional secret field belongs to.
var secretFieldSource = map[string]SecretSource{
	"fromFile": SecretSourceEnv, "path": SecretSourceFile, "mountPath": SecretSourceFile,
	"permissions": SecretSourceFile, "vaultPath": SecretSourceVault, "vaultKey": SecretSourceVault,
	"vaultMount": SecretSourceVault, "s3Path": SecretSourceS3,
}

func (d *decoder) secrets(parent *mapView, items []*yaml.Node, path string) []Secret {
	out := make([]Secret, 0, len(items))
	type firstDecl struct{ index, line int }
	seen := map[string]firstDecl{}
	for i, it := range items {
		p := idx(path, i)
		m := d.mapping(it, p)
		if m == nil {
			continue
		}
		var s Secret
		m.required("name", "e.g. name: GITHUB_TOKEN")
		if m.str("name", &s.Name, pattern(secretNameRE, "an environment variable name (uppercase letter first, then A-Z, 0-9 or _)")) {
			// The secrets resolver refuses duplicate names, so this is an error here too.
			v := resolve(m.entries["name"].v)
			if first, dup := seen[s.Name]; dup {
				d.errorf(v, join(p, "name"), fmt.Sprintf("first declared at line %d; remove one of them or rename it", first.line),
					"secret %s is declared twice (first as %s)", s.Name, idx(path, first.index))
			} else {
				seen[s.Name] = firstDecl{i, v.Line}
			}
		}
		m.required("source", "valid: env, file, vault")
		var src string
		if m.str("source", &src, enum("secret source", secretSources...)) {
			s.Source = SecretSource(src)
		}
		m.str("fromFile", &s.FromFile)
		m.boolean("required", &s.Required)
		m.boolean("deliver", &s.Deliver)
		m.str("path", &s.Path)
		m.str("mountPath", &s.MountPath)
		m.str("permissions", &s.Permissions, pattern(permRE, "octal file permissions"))
		m.str("vaultPath", &s.VaultPath)
		m.str("vaultKey", &s.VaultKey)
		m.str("vaultMount", &s.VaultMount)
		m.str("s3Path", &s.S3Path)
		m.finish()
		if s.Source == "" {
			out = append(out, s)
			continue
		}
		switch s.Source {
		case SecretSourceFile:
			m.required("path", "the local file to read, relative to sindri.yaml")
			m.required("mountPath", "where the file appears in the environment, e.g. /secrets/key.pem")
			d.checkMountPath(m, p, s.MountPath)
		case SecretSourceVault:
			m.required("vaultPath", "the KV v2 path, e.g. dev/kubeconfig")
			m.required("vaultKey", "the key inside the Vault secret")
			mount := s.VaultMount
			if mount == "" {
				mount = "secret"
			}
			if strings.HasPrefix(strings.TrimPrefix(s.VaultPath, "/"), mount+"/data/") {
				d.warnf(resolve(m.entries["vaultPath"].v), join(p, "vaultPath"),
					"write vaultPath without the "+excerpt.Quote(mount+"/data/")+" prefix",
					"vaultPath starts with %s, which the KV v2 API adds itself; the prefix is dropped and the secret is read from %s/data/%s",
					excerpt.Quote(mount+"/data/"), excerpt.String(mount), excerpt.String(strings.TrimPrefix(strings.TrimPrefix(s.VaultPath, "/"), mount+"/data/")))
			}
		case SecretSourceS3:
			k := resolve(m.entries["source"].v)
			if s.Required {
				d.errorf(k, join(p, "source"), "use env, file or vault",
					"the s3 secret source is not implemented (upstream fails on it too), and this secret is required")
			} else {
				d.warnf(k, join(p, "source"), "use env, file or vault",
					"the s3 secret source is not implemented; this optional secret will be skipped")
			}
		}
		for _, name := range m.order {
			if want, ok := secretFieldSource[name]; ok && want != s.Source && m.has(name) {
				d.warnf(m.entries[name].k, join(p, name), "", "%s is only used with source: %s; ignored for source: %s", name, want, s.Source)
			}
		}
		out = append(out, s)
	}
	return out
}

// checkMountPath refuses a file secret's mountPath that is not absolute and clean, as the
// secrets resolver does (an empty one is left to the required-key check).
func (d *decoder) checkMountPath(m *mapView, secretPath, mp string) {
	if mp == "" || (path.IsAbs(mp) && path.Clean(mp) == mp) {
		return
	}
	hint := "write an absolute path without . or .. parts or a trailing /, e.g. /secrets/key.pem"
	if c := path.Clean("/" + mp); c != "/" {
		hint = fmt.Sprintf("write an absolute path without . or .. parts or a trailing /, e.g. %s", c)
	}
	d.errorf(resolve(m.entries["mountPath"].v), join(secretPath, "mountPath"), hint,
		"mountPath %s must be an absolute, clean path", excerpt.Path(mp))
}

func (d *decoder) providers(m *mapView, p *Providers) {
	for _, s := range providerSchemas {
		s.decode(d, m, p)
	}
}
