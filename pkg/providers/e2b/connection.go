package e2b

import (
	"fmt"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// envdPort is the in-sandbox agent's port: commands and files go through it (no SSH).
const envdPort = 49983

// url is the public URL of port on sandbox id: https://<port>-<id>.<domain>. domain is the
// create or connect answer's (BYOC clusters), else the configured one.
func (p *Provider) url(id, domain string, port int) string {
	if domain == "" {
		domain = p.cfg.Domain
	}
	return fmt.Sprintf("https://%d-%s.%s", port, id, domain)
}

// connection says how to reach sandbox id.
func (p *Provider) connection(id, domain string, n *network) *providers.Connection {
	c := &providers.Connection{
		ExecCommand: "e2b sandbox connect " + id,
		HTTPSURL:    p.url(id, domain, envdPort),
		Instructions: fmt.Sprintf("a service listening on port P in the sandbox is at %s (P-%s); commands run through envd (the SDKs' sandbox.commands, or the e2b CLI); there is no SSH",
			p.url(id, domain, 3000), id),
	}
	if n != nil && n.AllowPublicTraffic != nil && !*n.AllowPublicTraffic {
		c.Instructions += "; public traffic is off (providers.e2b.publicAccess: false): requests need the sandbox's e2b-traffic-access-token header, or set publicAccess: true"
	}
	return c
}

// addresses lists sandbox id's addresses for Status: envd's URL.
func (p *Provider) addresses(id, domain string) []providers.Address {
	return []providers.Address{{Type: providers.AddressHTTPS, Value: p.url(id, domain, envdPort), Port: envdPort}}
}
