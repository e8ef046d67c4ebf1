package config

// ProviderName returns deployment.provider with the docker-compose alias normalised to
// docker; other consumers should use it rather than reading Deployment.Provider.
func (c *Config) ProviderName() ProviderName {
	if c.Deployment.Provider == ProviderDockerCompose {
		return ProviderDocker
	}
	return c.Deployment.Provider
}

// GPUEnabled reports whether deployment.resources.gpu.enabled is true.
func (c *Config) GPUEnabled() bool {
	return c.Deployment.Resources.GPU != nil && c.Deployment.Resources.GPU.Enabled
}

// GPUCount returns deployment.resources.gpu.count when a GPU is enabled, else 0.
func (c *Config) GPUCount() int {
	if !c.GPUEnabled() || c.Deployment.Resources.GPU.Count == nil {
		return 0
	}
	return *c.Deployment.Resources.GPU.Count
}

// CPUCount returns deployment.resources.cpus (defaulted by Load), or 0 when unset.
func (r Resources) CPUCount() int {
	if r.CPUs == nil {
		return 0
	}
	return *r.CPUs
}

// MemoryBytes returns deployment.resources.memory in bytes (binary units, see ParseSize), or 0
// when it is unset. Load has already refused values ParseSize cannot read.
func (r Resources) MemoryBytes() int64 { return sizeOrZero(r.Memory) }

// MemoryMB returns MemoryBytes in MiB ("4GB" is 4096).
func (r Resources) MemoryMB() int64 { return r.MemoryBytes() / MiB }

// SizeBytes returns the workspace size in bytes; 0 when unset or zero ("0GB" disables the
// Northflank volume).
func (w Workspace) SizeBytes() int64 { return sizeOrZero(w.Size) }

// SizeGB returns the workspace size in whole GiB, rounded up ("512MB" is 1).
func (w Workspace) SizeGB() int64 { return (w.SizeBytes() + GiB - 1) / GiB }

// StorageSizeBytes returns providers.docker.dind.storageSize in bytes, or 0 when unset.
func (d DinDConfig) StorageSizeBytes() int64 { return sizeOrZero(d.StorageSize) }

// AutoInstallEnabled returns extensions.auto_install (default true).
func (e Extensions) AutoInstallEnabled() bool { return e.AutoInstall == nil || *e.AutoInstall }

func sizeOrZero(s string) int64 {
	n, err := ParseSize(s)
	if err != nil {
		return 0
	}
	return n
}
