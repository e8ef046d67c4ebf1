package config

import (
	"slices"
	"strings"
	"testing"
)

// TestDockerPortsAccepted checks the forms the Docker provider publishes are accepted, and that
// bindings differing in protocol or written address are not duplicates.
func TestDockerPortsAccepted(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		"plain":            {"8080:80"},
		"bounds":           {"1:1", "65535:65535"},
		"leading zero":     {"08080:080"},
		"protocols":        {"8080:80/tcp", "8080:80/udp"},
		"ip":               {"127.0.0.1:8080:80", "0.0.0.0:9090:90/udp"},
		"same port by ip":  {"127.0.0.2:8080:80", "10.0.0.1:8080:80", "0.0.0.0:8080:80", "8080:80"},
		"same port by udp": {"53:53/udp", "53:53"},
	}
	for name, ports := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			b.WriteString(base + "providers:\n  docker:\n    ports:\n")
			for _, p := range ports {
				b.WriteString("      - \"" + p + "\"\n")
			}
			c, diags := Load("sindri.yaml", []byte(b.String()))
			if diags.HasErrors() {
				t.Fatalf("refused:\n%s", render(diags))
			}
			if got := c.Providers.Docker.Ports; !slices.Equal(got, ports) {
				t.Errorf("Ports = %q, want %q", got, ports)
			}
		})
	}
}

// TestParsePortMapping pins the parsed fields, which decide what counts as a duplicate.
func TestParsePortMapping(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want PortMapping
		bad  string
	}{
		{in: "8080:80", want: PortMapping{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}},
		{in: "127.0.0.1:53:5353/udp", want: PortMapping{HostIP: "127.0.0.1", HostPort: 53, ContainerPort: 5353, Proto: "udp"}},
		{in: "8080:80/", bad: "protocol must be tcp or udp"},
		{in: "8080:80/TCP", bad: "protocol must be tcp or udp"},
		{in: "8080:80/tcp/udp", bad: `container port "80/tcp" is not 1-65535`},
		{in: "8080", bad: "expected [IP:]HOST:CONTAINER[/tcp|/udp]"},
		{in: "1:2:3:4", bad: "expected [IP:]HOST:CONTAINER[/tcp|/udp]"},
		{in: ":80", bad: `host port "" is not 1-65535`},
		{in: "65536:80", bad: `host port "65536" is not 1-65535`},
		{in: "80:65536", bad: `container port "65536" is not 1-65535`},
		{in: "256.0.0.1:80:80", bad: `"256.0.0.1" is not an IP address`},
	}
	for _, tc := range cases {
		got, why := parsePortMapping(tc.in)
		if why != tc.bad {
			t.Errorf("parsePortMapping(%q) why = %q, want %q", tc.in, why, tc.bad)
			continue
		}
		if got != tc.want {
			t.Errorf("parsePortMapping(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}
