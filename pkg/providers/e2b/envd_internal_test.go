package e2b

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// TestEnvdURL: without a sandbox URL, Start goes to the sandbox's own envd host on the
// answer's domain, else the configured one; with one, there. An id or domain that could move
// the host is refused, naming where it came from.
func TestEnvdURL(t *testing.T) {
	t.Parallel()
	dom := func(d string) *string { return &d }
	cases := []struct {
		name      string
		cfg       Config
		sb        sandbox
		want, err string
	}{
		{"default", Config{}, sandbox{SandboxID: "i1"}, "https://49983-i1.e2b.app/process.Process/Start", ""},
		{"E2B_DOMAIN", Config{Domain: "e2b.example"}, sandbox{SandboxID: "i1"}, "https://49983-i1.e2b.example/process.Process/Start", ""},
		{"answer's domain", Config{}, sandbox{SandboxID: "i1", Domain: dom("byoc-1.example.com")}, "https://49983-i1.byoc-1.example.com/process.Process/Start", ""},
		{"E2B_SANDBOX_URL", Config{SandboxURL: "http://127.0.0.1:3002/"}, sandbox{SandboxID: "i1"}, "http://127.0.0.1:3002/process.Process/Start", ""},
		{"id with a dot", Config{}, sandbox{SandboxID: "i1.evil.com"}, "", "sandbox id"},
		{"id with a slash", Config{}, sandbox{SandboxID: "i1/x"}, "", "sandbox id"},
		{"upper-case id", Config{}, sandbox{SandboxID: "I1"}, "", "sandbox id"},
		{"empty id", Config{}, sandbox{}, "", "sandbox id"},
		{"id checked with E2B_SANDBOX_URL too", Config{SandboxURL: "http://127.0.0.1:3002"}, sandbox{SandboxID: "i1\r\nX: y"}, "", "sandbox id"},
		{"answer's domain with a path", Config{}, sandbox{SandboxID: "i1", Domain: dom("evil.com/x?")}, "", "the sandbox's domain in the API's answer"},
		{"answer's domain with a port", Config{}, sandbox{SandboxID: "i1", Domain: dom("evil.com:80")}, "", "the sandbox's domain in the API's answer"},
		{"answer's domain with userinfo", Config{}, sandbox{SandboxID: "i1", Domain: dom("x@evil.com")}, "", "the sandbox's domain in the API's answer"},
		{"answer's domain with an empty label", Config{}, sandbox{SandboxID: "i1", Domain: dom("e2b..app")}, "", "the sandbox's domain in the API's answer"},
		{"bad E2B_DOMAIN", Config{Domain: "E2B.app"}, sandbox{SandboxID: "i1"}, "", "E2B_DOMAIN"},
	}
	for _, tc := range cases {
		p, err := New(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.envdURL(tc.sb)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%s: envdURL = %s, %v; want %s", tc.name, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: envdURL = %s, %v; want an error naming %s", tc.name, got, err, tc.err)
		}
	}
}

// TestNoTokenToUncheckedHost: a sandbox id or domain that fails the check sends nothing, so
// the access token goes nowhere, and the error does not show it.
func TestNoTokenToUncheckedHost(t *testing.T) {
	t.Parallel()
	var sent []string
	client := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		sent = append(sent, r.URL.Host)
		return nil, errors.New("no network in this test")
	})}
	p, err := New(Config{HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	evil := "evil.example/x#"
	for _, sb := range []sandbox{
		{SandboxID: "i1.evil.example", EnvdAccessToken: "tok-secret-1"},
		{SandboxID: "i1", Domain: &evil, EnvdAccessToken: "tok-secret-1"},
	} {
		_, err := p.runEnvd(t.Context(), sb, "echo hi", io.Discard, io.Discard)
		if err == nil || strings.Contains(err.Error(), "tok-secret-1") {
			t.Errorf("runEnvd on %+v: %v; want an error without the token", sb.SandboxID, err)
		}
	}
	if len(sent) != 0 {
		t.Errorf("requests sent to %q", sent)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestExitCode: the end events envd's handler makes from Go's os.ProcessState. A signal is
// 128 plus its number, as a shell gives it; a non-zero exit with its "exit status N" error is
// that exit code, not a failure.
func TestExitCode(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	cases := []struct {
		name string
		end  endEvent
		want int
		err  bool
	}{
		{"exit 0", endEvent{Exited: true, Status: "exit status 0"}, 0, false},
		{"exit 3", endEvent{Exited: true, ExitCode: 3, Status: "exit status 3", Error: str("exit status 3")}, 3, false},
		{"killed", endEvent{ExitCode: -1, Status: "signal: killed", Error: str("signal: killed")}, 137, false},
		{"terminated", endEvent{ExitCode: -1, Status: "signal: terminated", Error: str("signal: terminated")}, 143, false},
		{"interrupt", endEvent{ExitCode: -1, Error: str("signal: interrupt")}, 130, false},
		{"hangup", endEvent{ExitCode: -1, Error: str("signal: hangup")}, 129, false},
		{"quit, core dumped", endEvent{ExitCode: -1, Error: str("signal: quit (core dumped)")}, 131, false},
		{"abort", endEvent{ExitCode: -1, Error: str("signal: aborted")}, 134, false},
		{"pipe", endEvent{ExitCode: -1, Error: str("signal: broken pipe")}, 141, false},
		{"unnamed signal", endEvent{ExitCode: -1, Error: str("signal: signal 40")}, 168, false},
		{"status only, exitCode absent", endEvent{Status: "signal: killed"}, 137, false},
		{"no word but the code", endEvent{ExitCode: 2}, 2, false},
		{"not exited, unknown", endEvent{ExitCode: -1, Status: "stop signal: stopped", Error: str("wait: no child processes")}, 0, true},
		{"signal out of range", endEvent{ExitCode: -1, Error: str("signal: signal 300")}, 0, true},
	}
	for _, tc := range cases {
		got, err := exitCode(&tc.end, "op", rest.NewRedactor())
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("%s: exitCode = %d, %v; want %d, error %t", tc.name, got, err, tc.want, tc.err)
		}
	}
}

// TestSandboxURL: E2B_SANDBOX_URL takes https anywhere and http only to a loopback host, as the
// access token would cross the network in clear; the error names the variable and setting,
// never the URL.
func TestSandboxURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://sandbox.example.com", true},
		{"https://10.0.0.5:8443/", true},
		{"http://127.0.0.1:3002", true},
		{"http://127.9.8.7", true},
		{"http://[::1]:3002/", true},
		{"http://localhost:3002", true},
		{"http://LOCALHOST", true},
		{"http://sandbox.example.com", false},
		{"http://10.0.0.5:3002", false},
		{"http://localhost.example.com", false},
		{"http://127.0.0.1.nip.io", false},
		{"http://[::2]:3002", false},
		{"ftp://127.0.0.1", false},
		{"sandbox.example.com", false},
	} {
		_, err := New(Config{SandboxURL: tc.url})
		var ue *URLError
		switch {
		case tc.ok && err != nil:
			t.Errorf("New with sandbox URL %s: %v", tc.url, err)
		case !tc.ok && (!errors.As(err, &ue) || ue.Setting != "sandbox_url"):
			t.Errorf("New with sandbox URL %s: %v, want a URLError for sandbox_url", tc.url, err)
		case !tc.ok && (!strings.Contains(err.Error(), "E2B_SANDBOX_URL") || strings.Contains(err.Error(), strings.TrimPrefix(strings.TrimPrefix(tc.url, "http://"), "ftp://"))):
			t.Errorf("New with sandbox URL %s: %q, want the variable named and not the URL", tc.url, err)
		}
	}
}

func TestVersionAtLeast(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v, min string
		want   bool
	}{
		{"0.2.4", "0.3.0", false}, {"0.3.0", "0.3.0", true}, {"0.10.1", "0.4.0", true}, {"1.0", "0.4.0", true},
		{"", "0.3.0", false}, {"garbage", "0.3.0", false}, {"0.4", "0.4.0", true},
	} {
		if got := versionAtLeast(tc.v, tc.min); got != tc.want {
			t.Errorf("versionAtLeast(%q, %q) = %t, want %t", tc.v, tc.min, got, tc.want)
		}
	}
}
