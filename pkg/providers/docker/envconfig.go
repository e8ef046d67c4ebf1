package docker

import "path/filepath"

// ConfigFromEnv builds a Config from the variables the mains read, through getenv (this package
// reads no environment itself): DOCKER_HOST, DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem, used
// when DOCKER_TLS_VERIFY is set), SINDRI_DOCKER_BIND_ADDRESS, and SINDRI_DOCKER_SEPARATE_NETWORK
// (true/1 or false/0; otherwise InSeparateNetwork guesses), and the public-URL settings
// SINDRI_DOCKER_PUBLIC_URL, SINDRI_DOCKER_CADDY_ADMIN and SINDRI_DOCKER_CADDY_LISTEN, and
// SINDRI_DOCKER_SSH_CONFIG (the ssh client configuration for an ssh:// DOCKER_HOST).
func ConfigFromEnv(getenv func(string) string) Config {
	c := Config{
		Host:            getenv("DOCKER_HOST"),
		BindAddress:     getenv("SINDRI_DOCKER_BIND_ADDRESS"),
		SeparateNetwork: InSeparateNetwork(),
		PublicURL:       getenv("SINDRI_DOCKER_PUBLIC_URL"),
		CaddyAdmin:      getenv("SINDRI_DOCKER_CADDY_ADMIN"),
		CaddyListen:     getenv("SINDRI_DOCKER_CADDY_LISTEN"),
		SSHConfigFile:   getenv("SINDRI_DOCKER_SSH_CONFIG"),
	}
	if dir := getenv("DOCKER_CERT_PATH"); dir != "" && getenv("DOCKER_TLS_VERIFY") != "" {
		c.TLSCAFile = filepath.Join(dir, "ca.pem")
		c.TLSCertFile = filepath.Join(dir, "cert.pem")
		c.TLSKeyFile = filepath.Join(dir, "key.pem")
	}
	switch getenv("SINDRI_DOCKER_SEPARATE_NETWORK") {
	case "true", "1":
		c.SeparateNetwork = true
	case "false", "0":
		c.SeparateNetwork = false
	}
	return c
}
