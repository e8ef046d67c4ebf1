package excerpt_test

import (
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/internal/excerpt"
)

func TestQuote(t *testing.T) {
	t.Parallel()
	long := "root:x:0:0:root:/root:/bin/bash daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"short", "lots", `"lots"`},
		{"empty", "", `""`},
		{"control characters escaped", "a\nb\x1b", `"a\nb\x1b"`},
		{"long cut with length", long, `"root:x:0:0:root:/root:/b…" (79 bytes)`},
		{"multibyte cut on a rune", strings.Repeat("é", 40), `"` + strings.Repeat("é", 24) + `…" (80 bytes)`},
		{"github token", "ghs_" + strings.Repeat("A1b2", 9), excerpt.Redacted},
		{"token after a separator", "x-access-token:ghp_" + strings.Repeat("z", 36) + "@github.com", excerpt.Redacted},
		{"pem", "-----BEGIN OPENSSH PRIVATE KEY-----", excerpt.Redacted},
		{"nkey seed", "SUA" + strings.Repeat("B", 55), excerpt.Redacted},
		{"word with a prefix is kept", "SAMPLE", `"SAMPLE"`},
		{"sk- word is kept", "sk-fr", `"sk-fr"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := excerpt.Quote(tc.in); got != tc.want {
				t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestPathIsLonger(t *testing.T) {
	t.Parallel()
	p := "/" + strings.Repeat("d/", 50)
	if got := excerpt.Path(p); got != `"`+p+`"` {
		t.Errorf("Path(%q) = %s, want it whole", p, got)
	}
	if got := excerpt.Path(strings.Repeat("p", 200)); !strings.HasSuffix(got, `…" (200 bytes)`) {
		t.Errorf("Path of 200 bytes = %s, want it cut", got)
	}
}
