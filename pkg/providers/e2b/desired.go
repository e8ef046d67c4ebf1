package e2b

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// DefaultTemplate is E2B's public template a sandbox runs when the config names no image and
// the team has no template of providers.e2b.templateAlias.
const DefaultTemplate = "base"

// allTraffic is E2B's ALL_TRAFFIC: denyOut of every IPv4 destination.
const allTraffic = "0.0.0.0/0"

// templateChoice is the template a sandbox runs: one this provider builds from the image, or
// an existing one named by alias.
type templateChoice struct {
	build    bool
	name     string // the template built from image (build)
	image    string
	cpu      int
	memoryMB int
	registry *registryAuth
	// rebuild: build again even when a ready build exists (buildOnDeploy, reuseTemplate: false).
	rebuild bool
	// alias is the existing template to look up (!build): providers.e2b.templateAlias.
	alias string
}

// ref is the template's name as the API resolves it.
func (t templateChoice) ref() string {
	if t.build {
		return t.name
	}
	return t.alias
}

// desired is what an environment's spec asks for, every default applied once.
type desired struct {
	env       string
	tpl       templateChoice
	body      newSandbox // TemplateID is filled once the template is known
	timeout   int
	autoPause bool
	// secrets are the values in body.EnvVars and the registry password, redacted everywhere.
	secrets  []string
	hash     string
	warnings []string
}

// resolve turns a Plan/Deploy spec into the desired sandbox. Errors wrap ErrInvalidSpec.
func (p *Provider) resolve(s *providers.Spec) (*desired, error) {
	c := s.Config
	if c == nil {
		return nil, fmt.Errorf("e2b: %w: no config", providers.ErrInvalidSpec)
	}
	ec := c.Providers.E2B
	if ec == nil {
		ec = &config.E2BConfig{}
	}
	d := &desired{env: s.Env, timeout: intOr(ec.Timeout, 300), autoPause: ec.AutoPause == nil || *ec.AutoPause}
	repo := s.Labels[providers.LabelRepo]
	res := c.Deployment.Resources
	if s.Image != "" {
		d.tpl = templateChoice{build: true, image: s.Image, cpu: res.CPUCount(), memoryMB: int(res.MemoryMB()),
			rebuild: (ec.BuildOnDeploy != nil && *ec.BuildOnDeploy) || (ec.ReuseTemplate != nil && !*ec.ReuseTemplate)}
		if d.tpl.memoryMB == 0 {
			d.tpl.memoryMB = 2048
		}
		d.tpl.registry = registryFrom(s)
		if d.tpl.registry != nil {
			d.secrets = append(d.secrets, d.tpl.registry.Username, d.tpl.registry.Password)
		}
		d.tpl.name = templateName(s.Env, repo, shortHash(d.tpl.image, strconv.Itoa(d.tpl.cpu), strconv.Itoa(d.tpl.memoryMB)))
	} else {
		d.tpl = templateChoice{alias: strings.ToLower(ec.TemplateAlias)}
		if d.tpl.alias == "" {
			d.tpl.alias = DefaultTemplate
		}
		d.warnings = append(d.warnings, "CPU and memory are properties of an E2B template: with no deployment.image no template is built, so deployment.resources is not applied")
	}
	if ec.Team != "" {
		d.warnings = append(d.warnings, "providers.e2b.team has no effect: an E2B API key belongs to one team, which the key chooses")
	}
	env, err := d.envVars(s)
	if err != nil {
		return nil, err
	}
	d.body = newSandbox{Timeout: d.timeout, AutoPause: d.autoPause, Secure: true, EnvVars: env}
	if ec.AutoResume == nil || *ec.AutoResume {
		d.body.AutoResume = &autoResume{Enabled: true}
	}
	d.network(ec)
	d.hash = d.configHash(ec.Metadata)
	d.body.Metadata = d.metadata(s, ec.Metadata, repo)
	return d, nil
}

// envVars is the sandbox environment: the container contract (contract §1.4) and the
// secrets. The provider's credentials are never delivered, even as declared job secrets.
func (d *desired) envVars(s *providers.Spec) (map[string]string, error) {
	ext := s.Config.Extensions
	env := map[string]string{"E2B_PROVIDER": "true", "INIT_WORKSPACE": "true", "INSTALL_PROFILE": ext.Profile,
		"SKIP_AUTO_INSTALL": strconv.FormatBool(!ext.AutoInstallEnabled())}
	if len(ext.Active) > 0 {
		env["CUSTOM_EXTENSIONS"] = strings.Join(ext.Active, ",")
	}
	if len(ext.Additional) > 0 {
		env["ADDITIONAL_EXTENSIONS"] = strings.Join(ext.Additional, ",")
	}
	for _, sv := range s.Secrets {
		switch {
		case slices.Contains(credentialNames, sv.Name):
			d.warnings = append(d.warnings, sv.Name+" is the provider's credential and is not delivered into the sandbox")
			continue
		case sv.MountPath != "":
			return nil, fmt.Errorf("e2b: %w: secret %s is a file secret (mountPath %s); E2B sandboxes take secrets only as environment variables (envVars)", providers.ErrInvalidSpec, sv.Name, sv.MountPath)
		case sv.Value == nil:
			continue
		}
		v := sv.Value.Reveal()
		env[sv.Name] = v
		if v != "" {
			d.secrets = append(d.secrets, v)
		}
	}
	return env, nil
}

// network maps internetAccess, allowedDomains, blockedDomains and publicAccess onto
// allow_internet_access and network (allowOut wins over denyOut; denyOut takes IP addresses
// and CIDR blocks only).
func (d *desired) network(ec *config.E2BConfig) {
	n := &network{}
	if len(ec.AllowedDomains) > 0 {
		// An allow list: every other destination is denied.
		n.AllowOut, n.DenyOut = slices.Clone(ec.AllowedDomains), []string{allTraffic}
	} else if ec.InternetAccess != nil && !*ec.InternetAccess {
		d.body.AllowInternetAccess = ptr(false)
	} else if len(ec.BlockedDomains) > 0 {
		var names []string
		for _, b := range ec.BlockedDomains {
			if isAddress(b) {
				n.DenyOut = append(n.DenyOut, b)
			} else {
				names = append(names, b)
			}
		}
		if len(names) > 0 {
			d.warnings = append(d.warnings, fmt.Sprintf("providers.e2b.blockedDomains: E2B's denyOut takes IP addresses and CIDR blocks only, so %s is not blocked (use allowedDomains to allow only what is needed)", strings.Join(names, ", ")))
		}
	}
	if ec.PublicAccess == nil || !*ec.PublicAccess {
		// Private URLs need the sandbox's traffic token, which needs a secure sandbox.
		n.AllowPublicTraffic = ptr(false)
	}
	if n.AllowPublicTraffic != nil || len(n.AllowOut) > 0 || len(n.DenyOut) > 0 {
		d.body.Network = n
	}
}

func isAddress(s string) bool {
	if _, err := netip.ParsePrefix(s); err == nil {
		return true
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// configHash covers what only a new sandbox can change: the template, the environment, the
// network, auto-resume and the config's metadata. The timeout is set again on every Deploy
// and autoPause is changed in place, so neither is in it.
func (d *desired) configHash(userMeta map[string]string) string {
	b, _ := json.Marshal(struct {
		Template string
		Env      map[string]string
		Internet *bool
		Network  *network
		Resume   *autoResume
		Meta     map[string]string
	}{d.tpl.ref(), d.body.EnvVars, d.body.AllowInternetAccess, d.body.Network, d.body.AutoResume, userMeta})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// metadata is the sandbox's metadata: the config's, the job's labels, then ours, which win.
func (d *desired) metadata(s *providers.Spec, userMeta map[string]string, repo string) map[string]string {
	m := maps.Clone(userMeta)
	if m == nil {
		m = map[string]string{}
	}
	maps.Copy(m, s.Labels)
	maps.Copy(m, filterFor(s.Env, s.Labels))
	m[metaRepoHash] = repoHash(repo)
	m[metaConfigHash] = d.hash
	m[metaTimeout] = strconv.Itoa(d.timeout)
	if d.tpl.build {
		m[metaTemplate] = d.tpl.name
	}
	return m
}

// redactedBody is the create body with secret values replaced, for the plan's artifact.
func (d *desired) redactedBody() newSandbox {
	b := d.body
	b.EnvVars = maps.Clone(b.EnvVars)
	for k, v := range b.EnvVars {
		if slices.Contains(d.secrets, v) {
			b.EnvVars[k] = "[redacted]"
		}
	}
	if b.TemplateID == "" {
		b.TemplateID = d.tpl.ref()
	}
	return b
}

// registryFrom returns the registry login for a private image from the job's credentials.
func registryFrom(s *providers.Spec) *registryAuth {
	user, pass := s.Credential(RegistryUserVar), s.Credential(RegistryPasswordVar)
	if user == "" || pass == "" {
		return nil
	}
	return &registryAuth{Type: "registry", Username: user, Password: pass}
}

func shortHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:4])
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
