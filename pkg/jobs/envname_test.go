package jobs

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestEnvName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("very-long-feature-", 6) // 108 chars
	tests := []struct {
		name string
		in   NameInput
		want string
	}{
		{"pr default", NameInput{Name: "myapp", PR: 42, Branch: "feature/x"}, "myapp-pr-42"},
		{"branch default", NameInput{Name: "myapp", Branch: "feature/Login_Page"}, "myapp-feature-login-page"},
		{"refs/heads stripped", NameInput{Name: "myapp", Branch: "refs/heads/main"}, "myapp-main"},
		{"plain default", NameInput{Name: "MyApp"}, "myapp"},
		{"custom template", NameInput{Name: "app", Repo: "Acme/Web.Site", PR: 3, Template: "{owner}-{repo}-{pr}"}, "acme-web-site-3"},
		{"literal text", NameInput{Name: "app", PR: 3, Template: "preview--{name}__{pr}--"}, "preview-app-3"},
		{"unicode accents", NameInput{Name: "Crème-Brûlée", Branch: "straße/ÜBER"}, "creme-brulee-strasse-uber"},
		{"unicode only symbols dropped", NameInput{Name: "app", Branch: "🚀-launch"}, "app-launch"},
		{"letters without decomposition", NameInput{Name: "Ærø-Łódź-Œuvre"}, "aero-lodz-oeuvre"},
		{"digit first gets prefix", NameInput{Name: "2fa"}, "env-2fa"},
		{"exactly 63 kept", NameInput{Name: strings.Repeat("a", 63)}, strings.Repeat("a", 63)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := EnvName(tt.in)
			if err != nil {
				t.Fatalf("EnvName(%+v): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("EnvName(%+v) = %q, want %q", tt.in, got, tt.want)
			}
			if !ValidEnvName(got) {
				t.Errorf("%q is not a valid env name", got)
			}
		})
	}

	t.Run("long branch truncated with hash", func(t *testing.T) {
		t.Parallel()
		in := NameInput{Name: "myapp", Branch: long + "one"}
		got, err := EnvName(in)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > MaxEnvNameLen || !ValidEnvName(got) {
			t.Fatalf("%q (%d chars) is not a valid label", got, len(got))
		}
		if !strings.HasPrefix(got, "myapp-very-long-feature-") {
			t.Errorf("%q lost its readable prefix", got)
		}
		again, _ := EnvName(in)
		if again != got {
			t.Errorf("not stable: %q then %q", got, again)
		}
		other, _ := EnvName(NameInput{Name: "myapp", Branch: long + "two"})
		if other == got {
			t.Errorf("long branches differing after the cut collide: %q", got)
		}
		if other[:len(other)-envHashLen] != got[:len(got)-envHashLen] {
			t.Errorf("want same prefix and different hash: %q vs %q", got, other)
		}
	})
	t.Run("64 chars truncated", func(t *testing.T) {
		t.Parallel()
		got, err := EnvName(NameInput{Name: strings.Repeat("a", 64)})
		if err != nil || len(got) != MaxEnvNameLen || !ValidEnvName(got) {
			t.Errorf("got %q (%d), %v", got, len(got), err)
		}
	})
	t.Run("cut at dash leaves no double dash", func(t *testing.T) {
		t.Parallel()
		// the cut point (54) falls right after a '-'
		name := strings.Repeat("a", 53) + "-" + strings.Repeat("b", 20)
		got, err := EnvName(NameInput{Name: name})
		if err != nil || strings.Contains(got, "--") || !ValidEnvName(got) {
			t.Errorf("got %q, %v", got, err)
		}
	})
}

func TestEnvNameErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      NameInput
		want    error
		mention string
	}{
		{"empty name", NameInput{Name: " "}, ErrBadName, "empty"},
		{"folds to nothing", NameInput{Name: "___", Template: "{name}"}, ErrBadName, "no letters"},
		{"unknown placeholder", NameInput{Name: "a", Template: "{name}-{sha}"}, ErrBadTemplate, "{sha}"},
		{"unclosed", NameInput{Name: "a", Template: "{name"}, ErrBadTemplate, "not closed"},
		{"nested", NameInput{Name: "a", Template: "{na{me}}"}, ErrBadTemplate, "not closed"},
		{"stray close", NameInput{Name: "a", Template: "name}"}, ErrBadTemplate, "'}'"},
		{"pr missing", NameInput{Name: "a", Template: "{name}-pr-{pr}"}, ErrBadTemplate, "{pr}"},
		{"branch missing", NameInput{Name: "a", Template: "{branch}"}, ErrBadTemplate, "{branch}"},
		{"repo missing", NameInput{Name: "a", Template: "{repo}"}, ErrBadTemplate, "owner/name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := EnvName(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("EnvName(%+v) = %q, %v; want %v", tt.in, got, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
			var te *TemplateError
			if tt.want == ErrBadTemplate && !errors.As(err, &te) {
				t.Errorf("want *TemplateError, got %T", err)
			}
		})
	}
}

func ExampleEnvName() {
	pr, _ := EnvName(NameInput{Name: "myapp", Repo: "acme/myapp", PR: 42})
	branch, _ := EnvName(NameInput{Name: "myapp", Branch: "feature/Login"})
	custom, _ := EnvName(NameInput{Name: "myapp", Repo: "acme/myapp", PR: 42, Template: "{owner}-{pr}"})
	fmt.Println(pr, branch, custom)
	// Output: myapp-pr-42 myapp-feature-login acme-42
}
