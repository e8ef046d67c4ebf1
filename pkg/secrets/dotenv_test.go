package secrets

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestParseEnvFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"plain", "A=1\nB=two\n", map[string]string{"A": "1", "B": "two"}},
		{"comments and blanks", "# c\n\n   # indented\nA=1\n", map[string]string{"A": "1"}},
		{"export prefix", "export A=1\nexport\tB=2\n", map[string]string{"A": "1", "B": "2"}},
		{"key named export", "export=3\nexporter=4\n", map[string]string{"export": "3", "exporter": "4"}},
		{"spaces around =", "  A  =  spaced value  \n", map[string]string{"A": "spaced value"}},
		{"double quotes", `A="quoted # not a comment"`, map[string]string{"A": "quoted # not a comment"}},
		{"single quotes", `A='x=y "z"'`, map[string]string{"A": `x=y "z"`}},
		{"no escape processing", `A="a\nb"`, map[string]string{"A": `a\nb`}},
		{"quoted then comment", `A="v" # trailing`, map[string]string{"A": "v"}},
		{"inline comment unquoted", "A=v # trailing\n", map[string]string{"A": "v"}},
		{"hash inside word kept", "A=pa#ss\n", map[string]string{"A": "pa#ss"}},
		{"equals in value", "A=b=c==\n", map[string]string{"A": "b=c=="}},
		{"empty value", "A=\nB=''\n", map[string]string{"A": "", "B": ""}},
		{"later wins", "A=1\nA=2\n", map[string]string{"A": "2"}},
		{"crlf", "A=1\r\nB=2\r\n", map[string]string{"A": "1", "B": "2"}},
		{"bom", "\uFEFFA=1\n", map[string]string{"A": "1"}},
		{"lowercase and underscore keys", "lower_case=1\n_X=2\n", map[string]string{"lower_case": "1", "_X": "2"}},
		{"mismatched quotes are an error", `A="x'`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEnvFile(".env", strings.NewReader(tc.in))
			if tc.want == nil {
				if err == nil {
					t.Fatalf("ParseEnvFile(%q) = %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseEnvFile(%q): %v", tc.in, err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("ParseEnvFile(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseEnvFileMalformedReportsFileAndLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		wantLine int
	}{
		{"no equals", "A=1\n\n" + canary + "\n", 3},
		{"bad key", "A=1\n1BAD=" + canary + "\n", 2},
		{"key with dash", "MY-KEY=" + canary + "\n", 1},
		{"empty key", "=" + canary + "\n", 1},
		{"unterminated quote", "A=1\nB=\"" + canary + "\nC=2\n", 2},
		{"text after closing quote", "A='" + canary + "'junk\n", 1},
		{"export without assignment", "export " + canary + "\n", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseEnvFile("/cfg/.env.local", strings.NewReader(tc.in))
			var ef *EnvFileError
			if !errors.As(err, &ef) {
				t.Fatalf("err = %v, want *EnvFileError", err)
			}
			if !errors.Is(err, ErrMalformedEnvFile) {
				t.Errorf("errors.Is(err, ErrMalformedEnvFile) = false")
			}
			if ef.File != "/cfg/.env.local" || ef.Line != tc.wantLine {
				t.Errorf("error at %s:%d, want /cfg/.env.local:%d", ef.File, ef.Line, tc.wantLine)
			}
			if !strings.HasPrefix(err.Error(), "/cfg/.env.local:") {
				t.Errorf("error %q does not start with file:line", err)
			}
			mustNotLeak(t, "parse error", err.Error())
		})
	}
}

func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{"A=1", "export B='x'", "C=\"y\" # c", "#", "D", "=", "E='"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseEnvFile("f", strings.NewReader(in))
		if err != nil {
			var ef *EnvFileError
			if errors.As(err, &ef) && strings.Contains(err.Error(), in) && len(in) > 40 {
				t.Errorf("error repeats the input line")
			}
			return
		}
		for k := range m {
			if !validEnvKey(k) {
				t.Errorf("parsed invalid key %q", k)
			}
		}
	})
}
