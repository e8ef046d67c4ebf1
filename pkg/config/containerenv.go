package config

import (
	"strconv"
	"strings"
)

// ContainerEnv returns the plain environment the container contract gives a template-based
// provider's container (contract §1.4): INIT_WORKSPACE, INSTALL_PROFILE, SKIP_AUTO_INSTALL,
// CUSTOM_EXTENSIONS and ADDITIONAL_EXTENSIONS when not empty, and SINDRI_SOURCE_REF for a
// build from source. It never fails.
func (c *Config) ContainerEnv() map[string]string {
	ext := c.Extensions
	env := map[string]string{
		"INIT_WORKSPACE":    "true",
		"INSTALL_PROFILE":   ext.Profile,
		"SKIP_AUTO_INSTALL": strconv.FormatBool(!ext.AutoInstallEnabled()),
	}
	if len(ext.Active) > 0 {
		env["CUSTOM_EXTENSIONS"] = strings.Join(ext.Active, ",")
	}
	if len(ext.Additional) > 0 {
		env["ADDITIONAL_EXTENSIONS"] = strings.Join(ext.Additional, ",")
	}
	if b := c.Deployment.BuildFromSource; b != nil && b.GitRef != "" {
		env["SINDRI_SOURCE_REF"] = b.GitRef
	}
	return env
}
