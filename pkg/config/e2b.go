package config

// ProviderE2B deploys to E2B sandboxes (contract §3.4).
const ProviderE2B ProviderName = "e2b"

var e2bSchema = providerSchema{
	name:      ProviderE2B,
	block:     "e2b",
	resources: resourceDefaults{memory: "2GB", cpus: 2, workspaceSize: "10GB", workspacePath: WorkspaceDir},
	noGPU:     "E2B sandboxes have no GPUs",
	// internetAccess, allowedDomains, blockedDomains and publicAccess reach the API
	// (allow_internet_access, network.allowOut/denyOut, network.allowPublicTraffic).
	decode: func(d *decoder, m *mapView, p *Providers) {
		m.obj("e2b", nil, func(s *mapView) { p.E2B = d.e2b(s) })
	},
	defaults: e2bDefaults,
}

// E2BConfig is providers.e2b.
type E2BConfig struct {
	TemplateAlias  string            `yaml:"templateAlias,omitempty" json:"templateAlias,omitempty"`
	ReuseTemplate  *bool             `yaml:"reuseTemplate,omitempty" json:"reuseTemplate,omitempty"`
	Timeout        *int              `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	AutoPause      *bool             `yaml:"autoPause,omitempty" json:"autoPause,omitempty"`
	AutoResume     *bool             `yaml:"autoResume,omitempty" json:"autoResume,omitempty"`
	InternetAccess *bool             `yaml:"internetAccess,omitempty" json:"internetAccess,omitempty"`
	AllowedDomains []string          `yaml:"allowedDomains,omitempty" json:"allowedDomains,omitempty"`
	BlockedDomains []string          `yaml:"blockedDomains,omitempty" json:"blockedDomains,omitempty"`
	PublicAccess   *bool             `yaml:"publicAccess,omitempty" json:"publicAccess,omitempty"`
	Metadata       map[string]string `yaml:"metadata,omitempty" json:"metadata,omitempty"`
	Team           string            `yaml:"team,omitempty" json:"team,omitempty"`
	BuildOnDeploy  *bool             `yaml:"buildOnDeploy,omitempty" json:"buildOnDeploy,omitempty"`
}

func (d *decoder) e2b(m *mapView) *E2BConfig {
	c := &E2BConfig{}
	m.str("templateAlias", &c.TemplateAlias, pattern(nameRE, "a valid template alias"))
	m.boolp("reuseTemplate", nil, &c.ReuseTemplate)
	m.intp("timeout", nil, &c.Timeout, 60, 86400)
	m.boolp("autoPause", nil, &c.AutoPause)
	m.boolp("autoResume", nil, &c.AutoResume)
	m.boolp("internetAccess", nil, &c.InternetAccess)
	m.strList("allowedDomains", nil, &c.AllowedDomains)
	m.strList("blockedDomains", nil, &c.BlockedDomains)
	m.boolp("publicAccess", nil, &c.PublicAccess)
	m.strMap("metadata", &c.Metadata)
	m.str("team", &c.Team)
	m.boolp("buildOnDeploy", nil, &c.BuildOnDeploy)
	return c
}

func e2bDefaults(c *Config) {
	e := ensure(&c.Providers.E2B)
	setStr(&e.TemplateAlias, c.Name) // upstream sanitises name; a valid name is already an alias
	setPtr(&e.ReuseTemplate, true)
	setPtr(&e.Timeout, 300)
	setPtr(&e.AutoPause, true)
	setPtr(&e.AutoResume, true)
	setPtr(&e.InternetAccess, true)
	setPtr(&e.PublicAccess, false)
	setPtr(&e.BuildOnDeploy, false)
}
