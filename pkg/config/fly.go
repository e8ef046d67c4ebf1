package config

// ProviderFly deploys to Fly.io Machines (contract §3.2).
const ProviderFly ProviderName = "fly"

// FlyGPURetired is the day Fly.io stopped offering GPU machines
// (shared/spec/provider-apis/fly.md §6).
const FlyGPURetired = "2026-08-01"

var flySchema = providerSchema{
	name:       ProviderFly,
	block:      "fly",
	resources:  resourceDefaults{memory: "2GB", cpus: 2, workspaceSize: "10GB", workspacePath: WorkspaceDir},
	needsImage: true,
	noGPU:      "Fly.io GPU machines are no longer available (retired on " + FlyGPURetired + ")",
	unused:     []string{"providers.fly.highAvailability"},
	decode: func(d *decoder, m *mapView, p *Providers) {
		m.obj("fly", nil, func(s *mapView) { p.Fly = d.fly(s) })
	},
	defaults: flyDefaults,
}

// FlyConfig is providers.fly.
type FlyConfig struct {
	Region            string `yaml:"region,omitempty" json:"region,omitempty"`
	AutoStopMachines  *bool  `yaml:"autoStopMachines,omitempty" json:"autoStopMachines,omitempty"`
	AutoStartMachines *bool  `yaml:"autoStartMachines,omitempty" json:"autoStartMachines,omitempty"`
	CPUKind           string `yaml:"cpuKind,omitempty" json:"cpuKind,omitempty"`
	SSHPort           *int   `yaml:"sshPort,omitempty" json:"sshPort,omitempty"`
	Organization      string `yaml:"organization,omitempty" json:"organization,omitempty"`
	HighAvailability  *bool  `yaml:"highAvailability,omitempty" json:"highAvailability,omitempty"`
}

func (d *decoder) fly(m *mapView) *FlyConfig {
	c := &FlyConfig{}
	m.str("region", &c.Region)
	m.boolp("autoStopMachines", nil, &c.AutoStopMachines)
	m.boolp("autoStartMachines", nil, &c.AutoStartMachines)
	m.str("cpuKind", &c.CPUKind, enum("cpu kind", "shared", "performance"))
	m.intp("sshPort", nil, &c.SSHPort, 1024, 65535)
	m.str("organization", &c.Organization)
	m.boolp("highAvailability", nil, &c.HighAvailability)
	return c
}

func flyDefaults(c *Config) { fillFly(ensure(&c.Providers.Fly)) }

// FlyDefaults returns a copy of f (nil: an empty block) with the fly defaults applied to its
// empty fields: Load applies them already; this serves configs built by hand.
func FlyDefaults(f *FlyConfig) FlyConfig {
	var c FlyConfig
	if f != nil {
		c = *f
	}
	fillFly(&c)
	return c
}

func fillFly(f *FlyConfig) {
	setStr(&f.Region, "sjc")
	setPtr(&f.AutoStopMachines, true)
	setPtr(&f.AutoStartMachines, true)
	setStr(&f.CPUKind, "shared")
	setPtr(&f.SSHPort, 10022)
	setStr(&f.Organization, "personal")
	setPtr(&f.HighAvailability, false)
}
