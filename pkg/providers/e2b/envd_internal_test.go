package e2b

import "testing"

// TestEnvdURL: without a sandbox URL, Start goes to the sandbox's own envd host on the
// answer's domain, else the configured one; with one, there.
func TestEnvdURL(t *testing.T) {
	t.Parallel()
	byoc := "byoc.example.com"
	cases := []struct {
		name string
		cfg  Config
		sb   sandbox
		want string
	}{
		{"default", Config{}, sandbox{SandboxID: "i1"}, "https://49983-i1.e2b.app/process.Process/Start"},
		{"E2B_DOMAIN", Config{Domain: "e2b.example"}, sandbox{SandboxID: "i1"}, "https://49983-i1.e2b.example/process.Process/Start"},
		{"answer's domain", Config{}, sandbox{SandboxID: "i1", Domain: &byoc}, "https://49983-i1.byoc.example.com/process.Process/Start"},
		{"E2B_SANDBOX_URL", Config{SandboxURL: "http://127.0.0.1:3002/"}, sandbox{SandboxID: "i1"}, "http://127.0.0.1:3002/process.Process/Start"},
	}
	for _, tc := range cases {
		p, err := New(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.envdURL(tc.sb); got != tc.want {
			t.Errorf("%s: envdURL = %s, want %s", tc.name, got, tc.want)
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
