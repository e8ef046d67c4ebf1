package jobs

import (
	"crypto/sha256"
	"encoding/hex"
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
		{"branch default lossy gets hash", NameInput{Name: "myapp", Branch: "feature/Login_Page"}, "myapp-feature-login-page-0fab87"},
		{"branch already a label stays readable", NameInput{Name: "app", Branch: "feature-login"}, "app-feature-login"},
		{"branch slash", NameInput{Name: "app", Branch: "feature/login"}, "app-feature-login-df7c7a"},
		{"branch case and underscore", NameInput{Name: "app", Branch: "Feature_Login"}, "app-feature-login-37ce17"},
		{"branch pr/7 is not PR 7", NameInput{Name: "app", Branch: "pr/7"}, "app-pr-7-2594c0"},
		{"branch pr-7 is not PR 7", NameInput{Name: "app", Branch: "pr-7"}, "app-pr-7-c1cec5"},
		{"branch pr-7-x is pr-like", NameInput{Name: "app", Branch: "pr-7-x"}, "app-pr-7-x-08685b"},
		{"branch pr-x is not pr-like", NameInput{Name: "app", Branch: "pr-x"}, "app-pr-x"},
		{"branch pr7 is not pr-like", NameInput{Name: "app", Branch: "pr7"}, "app-pr7"},
		{"branch of symbols only is its hash", NameInput{Name: "app", Branch: "🚀"}, "app-ebbc0b"},
		{"repo hash placeholder", NameInput{Name: "app", Repo: "acme/app", PR: 7, Template: "{name}-pr-{pr}-{rh}"}, "app-pr-7-5f89"},
		{"repo hash ignores case", NameInput{Name: "app", Repo: "ACME/App", PR: 7, Template: "{name}-pr-{pr}-{rh}"}, "app-pr-7-5f89"},
		{"refs/heads stripped", NameInput{Name: "myapp", Branch: "refs/heads/main"}, "myapp-main"},
		{"plain default", NameInput{Name: "MyApp"}, "myapp"},
		{"custom template", NameInput{Name: "app", Repo: "Acme/Web.Site", PR: 3, Template: "{owner}-{repo}-{pr}"}, "acme-web-site-3"},
		{"literal text", NameInput{Name: "app", PR: 3, Template: "preview--{name}__{pr}--"}, "preview-app-3"},
		{"unicode accents", NameInput{Name: "Crème-Brûlée", Branch: "straße/ÜBER"}, "creme-brulee-strasse-uber-e50fc6"},
		{"unicode accents in name only", NameInput{Name: "Crème-Brûlée", PR: 1}, "creme-brulee-pr-1"},
		{"unicode only symbols dropped", NameInput{Name: "app", Branch: "🚀-launch"}, "app-launch-89e354"},
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

// TestEnvNameNamespaces checks that no two distinct inputs of the default templates share a
// name: PRs against branches that look like PRs, and branches that fold to the same label.
func TestEnvNameNamespaces(t *testing.T) {
	t.Parallel()
	inputs := []NameInput{{Name: "app", PR: 7}, {Name: "app", PR: 70}, {Name: "app", PR: 1}}
	for _, br := range []string{
		"pr/7", "pr-7", "PR-7", "pr_7", "pr-7-", "pr-70", "pr/70", "refs/heads/pr/1", "pr--7",
		"feature/login", "Feature_Login", "feature-login", "feature--login", "FEATURE/LOGIN",
		"feature/Login", "-feature-login", "feature-login-", "fëature-login", "main", "Main",
		"🚀", "🔥", "", // "" is the plain default
	} {
		inputs = append(inputs, NameInput{Name: "app", Branch: br})
	}
	seen := make(map[string]NameInput, len(inputs))
	for _, in := range inputs {
		got, err := EnvName(in)
		if err != nil {
			t.Fatalf("EnvName(%+v): %v", in, err)
		}
		if !ValidEnvName(got) {
			t.Errorf("EnvName(%+v) = %q, not a valid env name", in, got)
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("EnvName(%+v) = EnvName(%+v) = %q", in, prev, got)
		}
		seen[got] = in
	}
}

// TestEnvNameBranchHash checks the branch suffix against an independent computation.
func TestEnvNameBranchHash(t *testing.T) {
	t.Parallel()
	for _, br := range []string{"feature/login", "pr-7", "Ünïcode"} {
		sum := sha256.Sum256([]byte(br))
		want := hex.EncodeToString(sum[:])[:6]
		got, err := EnvName(NameInput{Name: "app", Branch: "refs/heads/" + br})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(got, "-"+want) {
			t.Errorf("EnvName(branch %q) = %q, want suffix -%s", br, got, want)
		}
	}
	sum := sha256.Sum256([]byte("acme/app"))
	got, err := EnvName(NameInput{Name: "app", Repo: "Acme/App", Template: "{name}-{rh}"})
	if want := "app-" + hex.EncodeToString(sum[:])[:4]; err != nil || got != want {
		t.Errorf("{rh} = %q, %v; want the 4 hex digits of sha256(\"acme/app\")", got, err)
	}
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
		{"rh needs repo", NameInput{Name: "a", PR: 1, Template: "{name}-{rh}"}, ErrBadTemplate, "{rh}"},
		{"rh needs owner and name", NameInput{Name: "a", Repo: "acme", Template: "{name}-{rh}"}, ErrBadTemplate, "{rh}"},
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
	// Output: myapp-pr-42 myapp-feature-login-48fad0 acme-42
}
