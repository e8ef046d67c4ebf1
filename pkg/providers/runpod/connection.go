package runpod

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// httpPortsOf returns the pod's proxied HTTP ports, read from the pod itself (never from
// today's config, which may have changed).
func httpPortsOf(p pod) []int {
	var out []int
	for _, spec := range p.Ports {
		port, proto, _ := strings.Cut(spec, "/")
		if n, err := strconv.Atoi(port); err == nil && proto == "http" {
			out = append(out, n)
		}
	}
	return out
}

// connection says how to reach pod p now. The SSH port is read from the pod on every call:
// it changes after each stop and start.
func (prov *Provider) connection(p pod, httpPorts []int) *providers.Connection {
	c := &providers.Connection{}
	if port, ok := p.PortMappings[sshPort]; ok && p.PublicIP != "" {
		c.SSHCommand = fmt.Sprintf("ssh root@%s -p %d", p.PublicIP, port)
	}
	if len(httpPorts) > 0 {
		c.HTTPSURL = prov.cfg.ProxyURL(p.ID, httpPorts[0])
	}
	var ins []string
	if p.ProxySSHUser != "" {
		ins = append(ins, "interactive shell without a public IP: ssh -tt "+p.ProxySSHUser+"@ssh.runpod.io")
	}
	if c.SSHCommand != "" {
		ins = append(ins, "the SSH port changes after every stop and start: run `status` for the current one")
	}
	ins = append(ins, "console: https://www.runpod.io/console/pods/"+p.ID)
	c.Instructions = strings.Join(ins, "; ")
	return c
}

// addresses lists pod p's current addresses for Status.
func (prov *Provider) addresses(p pod) []providers.Address {
	var out []providers.Address
	if p.PublicIP != "" {
		for _, private := range sortedPorts(p.PortMappings) {
			typ := providers.AddressExternal
			if private == sshPort {
				typ = providers.AddressSSH
			}
			out = append(out, providers.Address{Type: typ, Value: p.PublicIP, Port: p.PortMappings[private]})
		}
	}
	ports := httpPortsOf(p)
	slices.Sort(ports)
	for _, port := range ports {
		out = append(out, providers.Address{Type: providers.AddressHTTPS, Value: prov.cfg.ProxyURL(p.ID, port), Port: port})
	}
	return out
}
