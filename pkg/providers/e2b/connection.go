package e2b

import (
	"fmt"
	"strings"

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

// checkSandboxID refuses a sandbox id that is not [a-z0-9]+ (what E2B gives): it becomes part
// of the host name that envd's access token is sent to.
func checkSandboxID(id string) error {
	if id == "" || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		return fmt.Errorf("sandbox id %q from the API is not lower-case letters and digits: no request carrying the sandbox's access token is sent for it", id)
	}
	return nil
}

// checkDomain refuses a sandbox domain that is not dot-separated [a-z0-9-] labels: it is the
// host name that envd's access token is sent to. from names where it came from.
func checkDomain(domain, from string) error {
	ok := domain != "" && strings.Trim(domain, "abcdefghijklmnopqrstuvwxyz0123456789.-") == ""
	for label := range strings.SplitSeq(domain, ".") {
		ok = ok && label != ""
	}
	if !ok {
		return fmt.Errorf("%s %q is not a host name of lower-case letters, digits, dots and dashes: no request carrying the sandbox's access token is sent to it", from, domain)
	}
	return nil
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
