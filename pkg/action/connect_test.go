package action

import (
	"net/url"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// guideConnections are what each provider's Deploy reports as its Connection (each the form
// its connection function builds; see pkg/providers/<name>/), one environment per provider:
// inputs for the renderer's own tests. The comment built from the Connection a provider's
// Deploy really reports is pinned per provider in pkg/providers/<name>/testdata/golden/
// connect.comment.md (connectgolden.Compare).
var guideConnections = map[string]*providers.Connection{
	"docker": {ExecCommand: "docker exec -it -e HOME=/alt/home/developer -u developer -w /alt/home/developer sindri-app-pr-7 bash -l",
		HTTPURL: "http://127.0.0.1:18080"},
	"fly": {SSHCommand: "ssh -6 developer@sindri-app-pr-7-1a2b3c4d.fly.dev -p 10022",
		ExecCommand:  "fly ssh console -a sindri-app-pr-7-1a2b3c4d",
		Instructions: "SSH reaches sindri-app-pr-7-1a2b3c4d.fly.dev over IPv6 (the app has no dedicated IPv4; Fly's shared IPv4 carries only HTTP and TLS). Without IPv6, use `fly ssh console -a sindri-app-pr-7-1a2b3c4d` or `fly proxy 10022:2222 -a sindri-app-pr-7-1a2b3c4d` and ssh to localhost."},
	"devpod": {SSHCommand: "DEVPOD_HOME=/var/lib/sindri/devpod devpod ssh sindri-app-pr-7",
		ExecCommand:  "DEVPOD_HOME=/var/lib/sindri/devpod devpod ssh sindri-app-pr-7 --workdir /workspaces/sindri --command",
		Instructions: "run on the executor's machine: devpod's registry of the workspace is in /var/lib/sindri/devpod"},
	"e2b": {ExecCommand: "e2b sandbox connect i1a2b3c4d5e6f", HTTPSURL: "https://49983-i1a2b3c4d5e6f.e2b.app",
		Instructions: "a service listening on port P in the sandbox is at https://3000-i1a2b3c4d5e6f.e2b.app (P-i1a2b3c4d5e6f); commands run through envd (the SDKs' sandbox.commands, or the e2b CLI); there is no SSH"},
	"kubernetes": {ExecCommand: "kubectl exec -it deploy/sindri-app-pr-7 -n dev-environments -c sindri -- /bin/bash",
		Instructions: "SSH: kubectl port-forward -n dev-environments svc/sindri-app-pr-7 2222:2222, then ssh -p 2222 developer@127.0.0.1"},
	"runpod": {SSHCommand: "ssh root@194.68.245.12 -p 22107", HTTPSURL: "https://p0d1d-8080.proxy.runpod.net",
		Instructions: "the SSH port changes after every stop and start: run `status` for the current one; console: https://www.runpod.io/console/pods/p0d1d"},
	"northflank": {ExecCommand: "northflank exec service --projectId sindri-dev --serviceId sindri-app-pr-7",
		HTTPSURL: "https://http--sindri-app-pr-7--abcd.code.run",
		Instructions: "ssh (needs a team SSH identity): northflank ssh service --projectId sindri-dev --serviceId sindri-app-pr-7; " +
			"forward private ports: northflank forward service --projectId sindri-dev --serviceId sindri-app-pr-7; " +
			"console: https://app.northflank.com/s/project/sindri-dev/services/sindri-app-pr-7"},
	"packer": {SSHCommand: "ssh developer@203.0.113.10", Instructions: "instance i-0abc from image sindri-dev-20261206"},
}

// The PR comment of a ready environment gives each provider's way in as the provider guide's
// connection table lists it, the exact commands, and a VS Code link through vscode.dev where
// the provider supports VS Code Remote SSH or Dev Containers.
func TestRenderConnectGolden(t *testing.T) {
	t.Parallel()
	for prov, c := range guideConnections {
		t.Run(prov, func(t *testing.T) {
			t.Parallel()
			v := views()["ready"]
			v.Provider, v.Env, v.Connection, v.Connect, v.URL = prov, "sindri-app-pr-7", c, "", ""
			comment := RenderComment(v, NoRedaction)
			golden(t, "connect-"+prov+".comment.md", comment)
			if w := connectWays[prov]; !strings.Contains(comment, w.way) {
				t.Errorf("comment lacks the guide's way in %q", w.way)
			}
			if strings.Contains(comment, "(vscode://") {
				t.Error("a bare vscode:// link: GitHub strips it")
			}
		})
	}
}

func TestVSCodeLink(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		prov, env string
		c         *providers.Connection
		want      string // the vscode:// URI behind the redirect; "" for no link
	}{
		{"fly", "e", guideConnections["fly"], "vscode://vscode-remote/ssh-remote+developer@sindri-app-pr-7-1a2b3c4d.fly.dev:10022/alt/home/developer"},
		{"runpod", "e", guideConnections["runpod"], "vscode://vscode-remote/ssh-remote+root@194.68.245.12:22107/root"},
		{"packer", "e", guideConnections["packer"], "vscode://vscode-remote/ssh-remote+developer@203.0.113.10/alt/home/developer"},
		// {"containerName":"/app"} in hex.
		{"docker", "app", guideConnections["docker"], "vscode://vscode-remote/attached-container+7b22636f6e7461696e65724e616d65223a222f617070227d/alt/home/developer"},
		{"docker", "app", &providers.Connection{ExecCommand: "docker -H tcp://10.0.0.2:2376 exec -it app bash -l"}, ""},
		{"devpod", "e", guideConnections["devpod"], ""},
		{"kubernetes", "e", guideConnections["kubernetes"], ""},
		{"e2b", "e", guideConnections["e2b"], ""},
		{"northflank", "e", guideConnections["northflank"], ""},
		{"runpod", "e", &providers.Connection{SSHCommand: "ssh -o ProxyCommand=x root@h"}, ""},
		{"runpod", "e", &providers.Connection{SSHCommand: "ssh root@h -p 99999"}, ""},
		{"runpod", "e", &providers.Connection{}, ""},
		{"fly", "e", nil, ""},
	} {
		got := VSCodeLink(tc.prov, tc.env, tc.c)
		if tc.want == "" {
			if got != "" {
				t.Errorf("%s %+v: link %q, want none", tc.prov, tc.c, got)
			}
			continue
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "https" || u.Host != "vscode.dev" || u.Path != "/redirect" || u.Query().Get("url") != tc.want {
			t.Errorf("%s: link %q, want the redirect to %q", tc.prov, got, tc.want)
		}
	}
}

// `/sindri connect` is answered with the way in of a running environment, or with what to run
// first.
func TestConnectReply(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		v     View
		wants []string
	}{
		{"running fly", View{Env: "app-pr-7", Provider: "fly", State: providers.StateRunning, Connection: guideConnections["fly"]},
			[]string{"`app-pr-7` on fly is running", "ssh -6 developer@sindri-app-pr-7-1a2b3c4d.fly.dev -p 10022", "https://vscode.dev/redirect?url="}},
		{"running kubernetes", View{Env: "app-pr-7", Provider: "kubernetes", State: providers.StateRunning, Connection: guideConnections["kubernetes"]},
			[]string{"kubectl exec -it deploy/sindri-app-pr-7"}},
		{"running without a connection", View{Env: "e", Provider: "x", State: providers.StateRunning}, []string{"the way in is in the comment of its last deploy"}},
		{"stopped", View{Env: "e", Provider: "runpod", State: providers.StateStopped}, []string{"is stopped: run `/sindri start`"}},
		{"not deployed", View{Env: "e", Provider: "docker", State: providers.StateNotDeployed}, []string{"is not deployed on docker: run `/sindri deploy` first"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ConnectReply(tc.v, "/sindri")
			for _, w := range tc.wants {
				if !strings.Contains(got, w) {
					t.Errorf("reply lacks %q:\n%s", w, got)
				}
			}
		})
	}
}
