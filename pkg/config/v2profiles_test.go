package config

import (
	"slices"
	"strings"
	"testing"
)

// A V2 profile with additional: V2 installed the profile's list, then the additional names;
// both land in extensions.active, without repeats, and the warning names the source commit.
func TestV2ProfileWithAdditional(t *testing.T) {
	src := "version: \"3.0\"\nname: v2\ndeployment:\n  provider: docker\n  image: ghcr.io/x/y:1\nextensions:\n  profile: ai-dev\n  additional: [rust, nodejs]\n"
	c, diags := Load("sindri.yaml", []byte(src))
	if c == nil {
		t.Fatalf("refused: %v", diags.Errors())
	}
	want, _ := V2ProfileExtensions("ai-dev")
	want = append(want, "rust")
	if !slices.Equal(c.Extensions.Active, want) || c.Extensions.Profile != "" || c.Extensions.Additional != nil {
		t.Errorf("extensions = %+v, want active %v", c.Extensions, want)
	}
	var found bool
	for _, d := range diags {
		if d.Field == "extensions.profile" && d.Severity == SeverityWarning {
			found = strings.Contains(d.Message, v2ProfileSource) && strings.Contains(d.Hint, "active: [nodejs, python")
		}
	}
	if !found {
		t.Errorf("no warning citing %s with the V3 spelling among %v", v2ProfileSource, diags)
	}
}
