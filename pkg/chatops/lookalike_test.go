package chatops

import (
	"errors"
	"testing"
)

// TestParseLookalikes pins which lookalikes of a command are the command (and so go through the
// same permission checks) and which are not ours at all (the bot stays silent).
func TestParseLookalikes(t *testing.T) {
	t.Parallel()
	ours := []struct {
		name, body string
		want       Verb
	}{
		{"upper-case prefix", "/SINDRI deploy", VerbDeploy},
		{"mixed case prefix and verb", "/Sindri DePloy", VerbDeploy},
		{"no-break space", "/sindri\u00a0deploy", VerbDeploy},
		{"narrow no-break space", "/sindri\u202fdestroy", VerbDestroy},
		{"em space", "/sindri\u2003stop", VerbStop},
		{"ideographic space", "/sindri\u3000status", VerbStatus},
		{"no-break space indentation", "\u00a0\u00a0/sindri plan", VerbPlan},
		{"no-break space before flag", "/sindri deploy\u00a0--force", VerbDeploy},
		{"upper-case bare prefix is help", "/SINDRI", VerbHelp},
	}
	for _, tt := range ours {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.body, DefaultPrefix)
			if err != nil || got.Verb != tt.want {
				t.Errorf("Parse(%q) = %+v, %v; want verb %s", tt.body, got, err, tt.want)
			}
		})
	}
	notOurs := []struct{ name, body string }{
		{"zero-width space in prefix", "/sin\u200bdri deploy"},
		{"zero-width space as separator", "/sindri\u200bdeploy"},
		{"zero-width space after verb", "/sindri deploy\u200b"},
		{"zero-width joiner", "/sindri de\u200dploy"},
		{"word joiner", "/sindri\u2060 deploy"},
		{"byte order mark first", "\ufeff/sindri deploy"},
		{"soft hyphen", "/sin\u00addri deploy"},
		{"right-to-left override", "/sindri \u202edeploy"},
		{"invisible first line", "\u200b\n/sindri deploy"},
		{"fullwidth", "\uff0f\uff53\uff49\uff4e\uff44\uff52\uff49 deploy"},
		{"fullwidth solidus", "\uff0fsindri deploy"},
		{"cyrillic i", "/s\u0456ndri deploy"},
		{"long s", "/\u017findri deploy"},
		{"four no-break spaces are indented code", "\u00a0\u00a0\u00a0\u00a0/sindri deploy"},
		{"prefix glued to a word", "/SINDRIX deploy"},
	}
	for _, tt := range notOurs {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if c, err := Parse(tt.body, DefaultPrefix); !errors.Is(err, ErrNotCommand) {
				t.Errorf("Parse(%q) = %+v, %v; want ErrNotCommand", tt.body, c, err)
			}
		})
	}
}

func TestCustomPrefixIgnoresCase(t *testing.T) {
	t.Parallel()
	if c, err := Parse("/PREVIEW destroy", "/preview"); err != nil || c.Verb != VerbDestroy {
		t.Errorf("Parse = %+v, %v; want destroy", c, err)
	}
}
