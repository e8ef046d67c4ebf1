package chatops

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want Command
	}{
		{"deploy", "/sindri deploy", Command{Verb: VerbDeploy}},
		{"bare prefix is help", "/sindri", Command{Verb: VerbHelp}},
		{"bare prefix trailing space", "/sindri   \r\n", Command{Verb: VerbHelp}},
		{"leading blank lines and spaces", "\n\r\n   /sindri destroy\r\n", Command{Verb: VerbDestroy}},
		{"crlf", "/sindri stop\r\nthanks!\r\n", Command{Verb: VerbStop}},
		{"trailing text on later lines", "/sindri status\n\n> /sindri destroy\nplease", Command{Verb: VerbStatus}},
		{"verb case-insensitive", "/sindri PLAN", Command{Verb: VerbPlan}},
		{"provider space", "/sindri deploy --provider fly", Command{Verb: VerbDeploy, Provider: "fly"}},
		{"provider equals", "/sindri plan --provider=docker", Command{Verb: VerbPlan, Provider: "docker"}},
		{"all flags", "/sindri deploy --force --ttl 48h --provider kubernetes",
			Command{Verb: VerbDeploy, Force: true, TTL: 48 * time.Hour, Provider: "kubernetes"}},
		{"ttl days", "/sindri deploy --ttl=7d", Command{Verb: VerbDeploy, TTL: 7 * 24 * time.Hour}},
		{"destroy force", "/sindri destroy --force", Command{Verb: VerbDestroy, Force: true}},
		{"tabs between tokens", "/sindri\tstart\t", Command{Verb: VerbStart}},
		{"help", "/sindri help", Command{Verb: VerbHelp}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.body, DefaultPrefix)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.body, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.body, got, tt.want)
			}
		})
	}
}

func TestParseNotCommand(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		"",
		"   \r\n\n",
		"LGTM",
		"> /sindri deploy",
		">/sindri deploy",
		"```\n/sindri deploy\n```",
		"~~~\n/sindri deploy\n~~~",
		"    /sindri deploy",
		"\t/sindri deploy",
		"please /sindri deploy",
		"/sindrix deploy",
		"/sindri-bot deploy",
		"LGTM\n/sindri deploy",
		"`/sindri deploy`",
	} {
		if _, err := Parse(body, DefaultPrefix); !errors.Is(err, ErrNotCommand) {
			t.Errorf("Parse(%q) error = %v, want ErrNotCommand", body, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body    string
		kind    ParseErrorKind
		wantMsg string
	}{
		{"/sindri deplyo", UnknownVerb, "unknown command `deplyo`; valid commands: deploy, destroy, stop, start, status, connect, plan, help"},
		{"/sindri deploy --region us", UnknownFlag, "unknown flag `--region` for deploy"},
		{"/sindri deploy --provider", MissingValue, "flag --provider needs a value"},
		{"/sindri deploy --provider --force", MissingValue, "flag --provider needs a value"},
		{"/sindri deploy --provider Fly!", BadValue, "bad value for --provider: provider names are lower-case letters, digits and '-', at most 32 characters"},
		{"/sindri deploy --provider=", BadValue, "bad value for --provider: provider names are lower-case letters, digits and '-', at most 32 characters"},
		{"/sindri deploy --ttl forever", BadValue, "bad value for --ttl: want a duration such as 90m, 48h or 7d, between 1m and 30d"},
		{"/sindri deploy --ttl 31d", BadValue, "bad value for --ttl: want a duration such as 90m, 48h or 7d, between 1m and 30d"},
		{"/sindri deploy --ttl 10s", BadValue, "bad value for --ttl: want a duration such as 90m, 48h or 7d, between 1m and 30d"},
		{"/sindri deploy --ttl -1h", BadValue, "bad value for --ttl: want a duration such as 90m, 48h or 7d, between 1m and 30d"},
		{"/sindri deploy --force=yes", BadValue, "bad value for --force: takes no value"},
		{"/sindri deploy --force --force", DuplicateFlag, "flag --force given twice"},
		{"/sindri status --force", FlagNotAllowed, "flag --force does not apply to status"},
		{"/sindri help --provider fly", FlagNotAllowed, "flag --provider does not apply to help"},
		{"/sindri destroy --ttl 1h", FlagNotAllowed, "flag --ttl does not apply to destroy"},
		{"/sindri deploy please", UnexpectedArgument, "unexpected argument `please` after deploy (only flags may follow the command)"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.body, DefaultPrefix)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error = %v, want *ParseError", tt.body, err)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("error does not wrap ErrSyntax")
			}
			if pe.Kind != tt.kind {
				t.Errorf("kind = %v, want %v", pe.Kind, tt.kind)
			}
			if got := err.Error(); got != tt.wantMsg {
				t.Errorf("message = %q, want %q", got, tt.wantMsg)
			}
		})
	}
}

func TestCustomPrefix(t *testing.T) {
	t.Parallel()
	got, err := Parse("!preview deploy", "!preview")
	if err != nil || got.Verb != VerbDeploy {
		t.Fatalf("Parse = %+v, %v; want deploy", got, err)
	}
	if _, err := Parse("/sindri deploy", "!preview"); !errors.Is(err, ErrNotCommand) {
		t.Errorf("default prefix with custom configured: err = %v, want ErrNotCommand", err)
	}
	for _, p := range []string{"", "/a b", " "} {
		if _, err := Parse("/a b deploy", p); !errors.Is(err, ErrBadPrefix) {
			t.Errorf("prefix %q: err = %v, want ErrBadPrefix", p, err)
		}
	}
}

func TestRenderRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range []Command{
		{Verb: VerbDeploy, Provider: "fly", Force: true, TTL: 90 * time.Minute},
		{Verb: VerbDestroy, Force: true},
		{Verb: VerbHelp},
	} {
		s := c.Render(DefaultPrefix)
		got, err := Parse(s, DefaultPrefix)
		if err != nil || got != c {
			t.Errorf("Parse(Render(%+v)) = %+v, %v (text %q)", c, got, err, s)
		}
	}
}

func TestVerbMutates(t *testing.T) {
	t.Parallel()
	want := map[Verb]bool{VerbDeploy: true, VerbDestroy: true, VerbStop: true, VerbStart: true}
	for _, v := range Verbs {
		if v.Mutates() != want[v] {
			t.Errorf("%s.Mutates() = %v", v, v.Mutates())
		}
	}
}

func TestHelpListsEveryVerb(t *testing.T) {
	t.Parallel()
	h := Help("/x")
	for _, v := range Verbs {
		if !strings.Contains(h, "/x "+string(v)) {
			t.Errorf("Help does not mention %s", v)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/sindri deploy --provider fly --force --ttl 48h", "/sindri", "> /sindri deploy",
		"\r\n  /sindri stop\r\n", "/sindri deploy --ttl=7d", "/sindri\u00a0plan", "/sindri deploy --provider=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		c, err := Parse(body, DefaultPrefix)
		if err != nil {
			var pe *ParseError
			if !errors.Is(err, ErrNotCommand) && !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): unexpected error type %T", body, err)
			}
			if pe != nil && pe.Error() == "" {
				t.Fatalf("empty error message")
			}
			return
		}
		again, err := Parse(c.Render(DefaultPrefix), DefaultPrefix)
		if err != nil || again != c {
			t.Fatalf("round trip of %q: %+v -> %q -> %+v, %v", body, c, c.Render(DefaultPrefix), again, err)
		}
	})
}

// TestParseErrorQuotesUserTextInert: whatever the commenter wrote comes back in the message only
// inside one code span (no mention, link or HTML under the bot's name), cut to a bounded length.
func TestParseErrorQuotesUserTextInert(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, want string }{
		{"/sindri @org/team", "unknown command `@org/team`"},
		{"/sindri deploy @everyone", "unexpected argument `@everyone` after deploy"},
		{"/sindri deploy --x=<img>", "unknown flag `--x` for deploy"},
		{"/sindri a`@org/team`b", "unknown command ``a`@org/team`b``"},
		{"/sindri ``@org/team", "unknown command ``` ``@org/team ```"},
		{"/sindri [x](https://evil.example)", "unknown command `[x](https://evil.example)`"},
		{"/sindri " + strings.Repeat("@a", 30), "unknown command `" + strings.Repeat("@a", 20) + "…`"},
		{"/sindri x\x00@y", "unknown command `x\uFFFD@y`"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.body, DefaultPrefix)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error = %v, want *ParseError", tt.body, err)
			}
			if got := err.Error(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("message = %q, want it to start with %q", got, tt.want)
			}
		})
	}
}

func TestCodeSpanRoundTrips(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"a", "`", "``", "a`b", "`a", "a``", "@org/team", "<b>x</b>"} {
		got := CodeSpan(s)
		// CommonMark: the opening run of backticks is closed by the next run of exactly the
		// same length; one leading and trailing space is stripped when both are there.
		n := len(got) - len(strings.TrimLeft(got, "`"))
		body := got[n : len(got)-n]
		run := 0
		for i := 0; i <= len(body); i++ {
			if i < len(body) && body[i] == '`' {
				run++
				continue
			}
			if run == n {
				t.Errorf("CodeSpan(%q) = %q: a run of %d backticks inside closes the span early", s, got, n)
			}
			run = 0
		}
		if len(body) >= 2 && body[0] == ' ' && body[len(body)-1] == ' ' && strings.Trim(body, " ") != "" {
			body = body[1 : len(body)-1]
		}
		if body != s {
			t.Errorf("CodeSpan(%q) = %q renders as %q", s, got, body)
		}
	}
}
