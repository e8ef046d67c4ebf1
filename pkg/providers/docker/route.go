package docker

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Labels of a publicly routed environment. LabelPublicURL is the environment's public URL and
// LabelProxyPort the container port the reverse proxy forwards to; the Caddy route sync reads
// both. The caddy* and traefik.* labels written next to them let an operator route with
// caddy-docker-proxy or Traefik's Docker provider instead of the built-in sync.
const (
	LabelPublicURL = "sindri.dev/public-url"
	LabelProxyPort = "sindri.dev/proxy-port"
)

// envPlaceholder is the part of Config.PublicURL replaced by the environment name.
const envPlaceholder = "{env}"

// publicURL is a parsed Config.PublicURL template, e.g. https://{env}.preview.example.com.
type publicURL struct {
	scheme string // http or https
	host   string // host template holding envPlaceholder, without port
	port   string // explicit port of the template, or ""
}

// parsePublicURL checks a public URL template: http or https, {env} in the host name and
// nothing after the host but an optional "/". Errors wrap providers.ErrInvalidSpec and name
// the setting, not its value.
func parsePublicURL(tmpl string) (*publicURL, error) {
	bad := func(why string) error {
		return fmt.Errorf("docker: public URL template (public_url, SINDRI_DOCKER_PUBLIC_URL): %w: %s (expected e.g. https://{env}.preview.example.com)", providers.ErrInvalidSpec, why)
	}
	if strings.Count(tmpl, envPlaceholder) != 1 {
		return nil, bad("it must hold " + envPlaceholder + " exactly once, in the host name")
	}
	const probe = "sindri-env-probe"
	u, err := url.Parse(strings.Replace(tmpl, envPlaceholder, probe, 1))
	if err != nil {
		return nil, bad("it is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, bad("the scheme must be http or https")
	}
	if !strings.Contains(u.Hostname(), probe) {
		return nil, bad(envPlaceholder + " must be in the host name")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, bad("only scheme, host and port are allowed (no user, path, query or fragment)")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, bad("the port must be 1 to 65535")
		}
	}
	host := strings.Replace(u.Hostname(), probe, envPlaceholder, 1)
	if strings.ContainsAny(host, "[]:") {
		return nil, bad("the host must be a DNS name")
	}
	return &publicURL{scheme: u.Scheme, host: host, port: u.Port()}, nil
}

// hostFor is env's public host name (no port).
func (t *publicURL) hostFor(env string) string {
	return strings.Replace(t.host, envPlaceholder, env, 1)
}

// urlFor is env's public URL.
func (t *publicURL) urlFor(env string) string {
	h := t.hostFor(env)
	if t.port != "" {
		h = net.JoinHostPort(h, t.port)
	}
	return t.scheme + "://" + h
}

// routeLabels returns the labels of env's public route to container port port.
func (t *publicURL) routeLabels(env string, port uint16) map[string]string {
	host, router := t.hostFor(env), "sindri-"+env
	caddySite := host
	if t.scheme == "http" {
		caddySite = "http://" + host
	}
	if t.port != "" {
		caddySite += ":" + t.port
	}
	p := strconv.Itoa(int(port))
	l := map[string]string{
		LabelPublicURL: t.urlFor(env),
		LabelProxyPort: p,
		// caddy-docker-proxy
		"caddy":               caddySite,
		"caddy.reverse_proxy": "{{upstreams " + p + "}}",
		// Traefik's Docker provider
		"traefik.enable": "true",
		"traefik.http.routers." + router + ".rule":                      "Host(`" + host + "`)",
		"traefik.http.services." + router + ".loadbalancer.server.port": p,
	}
	if t.scheme == "https" {
		l["traefik.http.routers."+router+".tls"] = "true"
	}
	return l
}

// applyPublicRoute makes d publicly routed: its route labels, and every published port on a
// host port the engine picks, so that any number of environments from the same config run
// side by side on one host and are told apart by name, not port. The first TCP port is the
// one the proxy forwards to. A d without a published TCP port in bridge mode is an error
// wrapping providers.ErrInvalidSpec.
func (t *publicURL) applyPublicRoute(d *desired) error {
	if d.NetworkMode != "bridge" {
		return fmt.Errorf("docker: public_url needs providers.docker.network bridge, not %s: %w", d.NetworkMode, providers.ErrInvalidSpec)
	}
	target := -1
	for i, pm := range d.Ports {
		if pm.Proto == "tcp" && target < 0 {
			target = i
		}
	}
	if target < 0 {
		return fmt.Errorf("docker: public_url is set but providers.docker.ports publishes no TCP port for the proxy to forward to (add one, e.g. \"8080:80\"): %w", providers.ErrInvalidSpec)
	}
	for i := range d.Ports {
		if d.Ports[i].HostPort != 0 {
			d.warnings = append(d.warnings, fmt.Sprintf("providers.docker.ports: host port %d is left to the engine: with public_url each environment is reached by its name at %s",
				d.Ports[i].HostPort, t.urlFor(d.Env)))
		}
		d.Ports[i].HostPort = 0
	}
	for k, v := range t.routeLabels(d.Env, d.Ports[target].ContainerPort) {
		d.Labels[k] = v
	}
	return nil
}

// hostPortSpec is the host port as the engine and Compose take it: empty lets the engine pick.
func (pm portMapping) hostPortSpec() string {
	if pm.HostPort == 0 {
		return ""
	}
	return strconv.Itoa(int(pm.HostPort))
}

// fillHostPorts sets the host ports the engine picked (HostPort 0) from a started container,
// so readiness probes and the connection use them.
func (d *desired) fillHostPorts(c *container.InspectResponse) {
	if c.NetworkSettings == nil {
		return
	}
	for i, pm := range d.Ports {
		if pm.HostPort != 0 {
			continue
		}
		for port, bindings := range c.NetworkSettings.Ports {
			if port.Num() != pm.ContainerPort || string(port.Proto()) != pm.Proto {
				continue
			}
			for _, b := range bindings {
				hp, err := strconv.ParseUint(b.HostPort, 10, 16)
				if err == nil && hp != 0 && (!b.HostIP.IsValid() || b.HostIP.String() == pm.HostIP) {
					d.Ports[i].HostPort = uint16(hp)
					break
				}
			}
		}
	}
}

// resolve is the package's resolve with this provider's bind address and public route.
func (p *Provider) resolve(s *providers.Spec, facts engineFacts) (*desired, error) {
	d, err := resolve(s, p.bindAddress, facts)
	if err != nil || p.public == nil {
		return d, err
	}
	if err := p.public.applyPublicRoute(d); err != nil {
		return nil, err
	}
	return d, nil
}
