package secrets

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// canary is a secret value that must never show up in any output. It has characters that
// JSON and URL escaping change, so the escaped forms differ from the raw one.
const canary = `CANARY-7f9c"2a<&>/s3cr3t+v4lue`

// canaryToken is a Vault token that must never show up in any output.
const canaryToken = "hvs.CANARYTOKEN0123456789abcdef"

// mustNotLeak fails when out contains any of the secrets or their base64 forms. It never prints
// out, which would put the secret into the test log.
func mustNotLeak(t *testing.T, label, out string, secrets ...string) {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{canary, canaryToken}
	}
	for _, s := range secrets {
		forms := []string{s, base64.StdEncoding.EncodeToString([]byte(s)), hex.EncodeToString([]byte(s)),
			strconv.Quote(s), jsonEscape(s, true), jsonEscape(s, false)}
		if s == canary || s == canaryToken {
			// Fragments no quoting or escaping changes.
			forms = append(forms, "CANARY-7f9c", "s3cr3t+v4lue", "CANARYTOKEN")
		}
		for _, form := range forms {
			if strings.Contains(out, form) {
				t.Errorf("%s: output contains a secret value (output withheld, %d bytes)", label, len(out))
				return
			}
		}
	}
}

// writeFile writes content to dir/name (creating parents) and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// mapEnv returns a LookupEnv over m.
func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// newResolver builds a Resolver or fails the test.
func newResolver(t *testing.T, cfg ResolverConfig) *Resolver {
	t.Helper()
	r, err := NewResolver(cfg)
	if err != nil {
		t.Fatalf("NewResolver: %v", err)
	}
	return r
}

// valueOf returns the revealed value of name in res, failing when it is absent.
func valueOf(t *testing.T, res *Result, name string) Resolved {
	t.Helper()
	got, ok := res.Lookup(name)
	if !ok {
		t.Fatalf("secret %s not resolved; warnings: %v", name, res.Warnings)
	}
	return got
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
