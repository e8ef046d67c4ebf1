package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/internal/excerpt"
)

// PortMapping is one providers.docker.ports entry, "[ip:]host:container[/tcp|/udp]", as the
// Docker provider publishes it.
type PortMapping struct {
	// HostIP is the host address given in the entry; empty means the executor's default bind
	// address.
	HostIP        string
	HostPort      uint16
	ContainerPort uint16
	// Proto is "tcp" (the default) or "udp".
	Proto string
}

// portForm is the accepted shape, for messages.
const portForm = "[IP:]HOST:CONTAINER[/tcp|/udp]"

// ParsePortMapping parses one providers.docker.ports entry; the error says what is wrong. The
// validator and the Docker provider both read entries with it.
func ParsePortMapping(s string) (PortMapping, error) {
	pm, why := parsePortMapping(s)
	if why != "" {
		return PortMapping{}, errors.New(why)
	}
	return pm, nil
}

// parsePortMapping parses one providers.docker.ports entry: an optional protocol after the last "/" (tcp or udp), then two or three ":"-separated
// fields, an optional IP address first, and ports 1-65535 in decimal. On failure why says what
// is wrong.
func parsePortMapping(s string) (pm PortMapping, why string) {
	bad := func(why string) (PortMapping, string) { return PortMapping{}, why }
	pm = PortMapping{Proto: "tcp"}
	rest := s
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		pm.Proto, rest = rest[i+1:], rest[:i]
		if pm.Proto != "tcp" && pm.Proto != "udp" {
			return bad("protocol must be tcp or udp")
		}
	}
	parts := strings.Split(rest, ":")
	switch len(parts) {
	case 2:
	case 3:
		if _, err := netip.ParseAddr(parts[0]); err != nil {
			return bad(fmt.Sprintf("%s is not an IP address", excerpt.Quote(parts[0])))
		}
		pm.HostIP, parts = parts[0], parts[1:]
	default:
		return bad("expected " + portForm)
	}
	hp, err := strconv.ParseUint(parts[0], 10, 16)
	if err != nil || hp == 0 {
		return bad(fmt.Sprintf("host port %s is not 1-65535", excerpt.Quote(parts[0])))
	}
	cp, err := strconv.ParseUint(parts[1], 10, 16)
	if err != nil || cp == 0 {
		return bad(fmt.Sprintf("container port %s is not 1-65535", excerpt.Quote(parts[1])))
	}
	pm.HostPort, pm.ContainerPort = uint16(hp), uint16(cp)
	return pm, ""
}

// defaultBindAddress is where an entry without an address is published by default
// (docker.DefaultBindAddress). An executor configured with another bind address is not known
// here, so validation assumes the default.
const defaultBindAddress = "127.0.0.1"

// hostAddress is the address the entry binds on the host, assuming the default bind address.
func (p PortMapping) hostAddress() string {
	if p.HostIP == "" {
		return defaultBindAddress
	}
	return p.HostIP
}

// binding is what two entries must not share: host address, host port and protocol.
func (p PortMapping) binding() string {
	return fmt.Sprintf("%s:%d/%s", p.hostAddress(), p.HostPort, p.Proto)
}

// dockerPorts decodes providers.docker.ports, refusing entries the Docker provider would
// refuse after the job is published: bad form, ports outside 1-65535, and a host binding
// (address, port, protocol) published twice.
func (d *decoder) dockerPorts(m *mapView, dst *[]string) {
	items, path, ok := m.seq("ports")
	if !ok {
		return
	}
	out := make([]string, 0, len(items))
	first := map[string]int{} // binding -> line of its first entry
	for i, it := range items {
		v, p := resolve(it), idx(path, i)
		var s string
		if !m.strValue(v, p, &s) {
			continue
		}
		pm, why := parsePortMapping(s)
		if why != "" {
			d.errorf(v, p, "write "+portForm+" with ports 1-65535, e.g. 8080:80 or 127.0.0.1:5353:53/udp",
				"%s is not a HOST:CONTAINER port mapping: %s", excerpt.Quote(s), why)
			continue
		}
		if line, dup := first[pm.binding()]; dup {
			where := pm.HostIP
			if where == "" {
				where = defaultBindAddress + " (the default bind address)"
			}
			d.errorf(v, p, fmt.Sprintf("first published at line %d; use another host port or remove one of them", line),
				"host port %d/%s on %s is published twice", pm.HostPort, pm.Proto, where)
			continue
		}
		first[pm.binding()] = v.Line
		out = append(out, s)
	}
	*dst = out
}
