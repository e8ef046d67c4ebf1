package action

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// connectWay is one provider's row of the provider guide's connection table: how a user gets
// a shell in the environment, and the IDE integration it offers.
type connectWay struct {
	way, ide string
}

// connectWays are the provider guide's "Connection Methods" rows, by provider name.
var connectWays = map[string]connectWay{
	"docker":     {"docker exec (no SSH)", "VS Code Dev Containers"},
	"fly":        {"SSH", "VS Code Remote SSH"},
	"devpod":     {"SSH through devpod, on the executor's machine", "VS Code or JetBrains: `devpod up <workspace> --ide vscode` on that machine"},
	"e2b":        {"WebSocket terminal (PTY) through E2B's envd; no SSH", ""},
	"kubernetes": {"kubectl exec (no SSH)", "VS Code Kubernetes: attach to the pod, or Remote SSH through the port-forward above"},
	"runpod":     {"SSH", "VS Code Remote SSH"},
	"northflank": {"Northflank exec, and port forwarding (no public SSH)", ""},
	"packer":     {"SSH", "VS Code Remote SSH"},
	"vm":         {"SSH", "VS Code Remote SSH"},
}

// vscodeRedirect is the https page that opens a vscode:// link: GitHub strips vscode:// links
// from comments, so the comment links through it.
const vscodeRedirect = "https://vscode.dev/redirect?url="

// VSCodeLink returns the one-click VS Code link for environment env on provider, from what the
// provider reported in c, or "" when the provider offers no VS Code remote the link can name:
// Remote SSH for an `ssh user@host [-p port]` command, Dev Containers for a container on the
// local Docker engine.
func VSCodeLink(provider, env string, c *providers.Connection) string {
	if c == nil {
		return ""
	}
	var uri string
	switch {
	case provider == "docker":
		if strings.Contains(c.ExecCommand, " -H ") || env == "" {
			return "" // a remote engine: Dev Containers attaches to the local one
		}
		name, _ := json.Marshal(map[string]string{"containerName": "/" + env})
		uri = "vscode://vscode-remote/attached-container+" + hex.EncodeToString(name) + config.HomeDir
	case connectWays[provider].ide == "VS Code Remote SSH":
		host, ok := sshTarget(c.SSHCommand)
		if !ok {
			return ""
		}
		home := config.HomeDir
		if strings.HasPrefix(host, "root@") {
			home = "/root"
		}
		uri = "vscode://vscode-remote/ssh-remote+" + host + home
	default:
		return ""
	}
	return vscodeRedirect + url.QueryEscape(uri)
}

// sshTarget reads `ssh [-6|-4] user@host [-p port]` into VS Code's Remote SSH host form,
// user@host or user@host:port. Any other command (devpod ssh, a proxy) gives false.
func sshTarget(cmd string) (string, bool) {
	f := strings.Fields(cmd)
	if len(f) < 2 || f[0] != "ssh" {
		return "", false
	}
	target, port := "", 0
	for i := 1; i < len(f); i++ {
		switch a := f[i]; {
		case a == "-p" && i+1 < len(f):
			n, err := strconv.Atoi(f[i+1])
			if err != nil || n < 1 || n > 65535 {
				return "", false
			}
			port = n
			i++
		case a == "-4" || a == "-6" || a == "-tt" || a == "-t":
		case strings.HasPrefix(a, "-") || target != "":
			return "", false
		default:
			target = a
		}
	}
	if !strings.Contains(target, "@") || strings.ContainsAny(target, "/\\+") {
		return "", false
	}
	if port != 0 && port != 22 {
		target += ":" + strconv.Itoa(port)
	}
	return target, true
}

// writeConnect writes the comment's connect section: the guide's way in for the provider,
// the provider's exact commands (SSH first, then exec), its further instructions as a list,
// and a one-click VS Code link where the provider supports one.
func writeConnect(b *strings.Builder, provider, env string, c *providers.Connection) {
	w := connectWays[provider]
	b.WriteString("**Connect**")
	if w.way != "" {
		b.WriteString(" via " + cell(w.way))
	}
	b.WriteString(":\n\n")
	var cmds []string
	for _, s := range []string{c.SSHCommand, c.ExecCommand} {
		if s != "" {
			cmds = append(cmds, s)
		}
	}
	if len(cmds) > 0 {
		writeFence(b, "sh", cmds)
		b.WriteString("\n")
	}
	for _, ins := range splitInstructions(c.Instructions) {
		if ins != "" {
			b.WriteString("- " + cell(ins) + "\n")
		}
	}
	if c.HTTPSURL != "" && c.HTTPSURL != c.HTTPURL {
		b.WriteString("- HTTPS: " + link(c.HTTPSURL) + "\n")
	}
	if l := VSCodeLink(provider, env, c); l != "" {
		b.WriteString("- [Open in " + cell(w.ide) + "](" + l + ")\n")
	} else if w.ide != "" && !strings.HasPrefix(w.ide, "VS Code Remote SSH") && provider != "docker" {
		b.WriteString("- IDE: " + cell(w.ide) + "\n")
	}
	b.WriteString("\n")
}

// splitInstructions splits a provider's instructions into list items at each "; " that is
// outside parentheses (providers join their separate hints with "; ").
func splitInstructions(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth = max(0, depth-1)
		case ';':
			if depth == 0 && i+1 < len(s) && s[i+1] == ' ' {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 2
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// ConnectText is the connect section as plain text for a terminal (`local connect`): the
// guide's way in, the commands, the instructions and the VS Code link.
func ConnectText(provider, env string, c *providers.Connection) string {
	var b strings.Builder
	w := connectWays[provider]
	fmt.Fprintf(&b, "way in: %s\n", w.way)
	for _, s := range []string{c.SSHCommand, c.ExecCommand} {
		if s != "" {
			b.WriteString("  " + s + "\n")
		}
	}
	for _, ins := range splitInstructions(c.Instructions) {
		if ins != "" {
			b.WriteString("- " + ins + "\n")
		}
	}
	for _, u := range []string{c.HTTPURL, c.HTTPSURL} {
		if u != "" {
			b.WriteString("- URL: " + u + "\n")
		}
	}
	if l := VSCodeLink(provider, env, c); l != "" {
		b.WriteString("- " + w.ide + ": " + l + "\n")
	} else if w.ide != "" && !strings.HasPrefix(w.ide, "VS Code Remote SSH") && provider != "docker" {
		b.WriteString("- IDE: " + w.ide + "\n")
	}
	return b.String()
}
