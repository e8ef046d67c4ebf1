package northflank

import (
	"fmt"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// connection says how to reach service s of project: the Northflank CLI's exec (there is no
// public SSH endpoint; SSH goes through the CLI's proxy and a team SSH identity), and the
// first public port's DNS name.
func connection(project string, s service) *providers.Connection {
	c := &providers.Connection{
		ExecCommand: fmt.Sprintf("northflank exec service --projectId %s --serviceId %s", project, s.ID),
	}
	for _, pt := range s.Ports {
		if pt.Public && pt.DNS != "" {
			c.HTTPSURL = "https://" + pt.DNS
			break
		}
	}
	c.Instructions = strings.Join([]string{
		fmt.Sprintf("ssh (needs a team SSH identity): northflank ssh service --projectId %s --serviceId %s", project, s.ID),
		fmt.Sprintf("forward private ports: northflank forward service --projectId %s --serviceId %s", project, s.ID),
		fmt.Sprintf("console: https://app.northflank.com/s/project/%s/services/%s", project, s.ID),
	}, "; ")
	return c
}

// addresses lists s's ports for Status: public ones by their DNS name, private ones inside the
// project as <service>:<port>.
func addresses(s service) []providers.Address {
	var out []providers.Address
	for _, pt := range s.Ports {
		if pt.Public && pt.DNS != "" {
			out = append(out, providers.Address{Type: providers.AddressHTTPS, Value: "https://" + pt.DNS, Port: pt.InternalPort})
			continue
		}
		out = append(out, providers.Address{Type: providers.AddressInternal, Value: s.ID, Port: pt.InternalPort})
	}
	return out
}
