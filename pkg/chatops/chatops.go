// Package chatops parses the comment commands that drive sindri from a pull request, such as
// "/sindri deploy --provider fly --ttl 48h".
//
// Grammar (only the first non-blank line of a comment is read):
//
//	line    = indent prefix [ ws verb { ws flag } ] [ ws ]
//	indent  = 0 to 3 spaces (4 spaces or a tab make a Markdown code block: not a command)
//	prefix  = the configured prefix, default "/sindri", matched ignoring case
//	verb    = deploy | destroy | stop | start | status | connect | plan | help   (case-insensitive)
//	flag    = "--provider" (ws | "=") NAME      deploy, destroy, stop, start, status, connect, plan
//	        | "--force"                         deploy, destroy
//	        | "--ttl" (ws | "=") DURATION       deploy   (Go duration, 1m to 720h, or Nd days)
//
// A first line that is a quote ("> /sindri deploy"), a code fence or indented code is not a
// command, so quoting a command in a reply never runs it. Lines after the first are free text.
// "/sindri" on its own means help. Everything else addressed to the prefix (unknown verb, unknown
// or repeated flag, stray argument, bad value) is a *ParseError whose message can be posted back
// to the commenter as is.
//
// Lookalikes. What a reader sees as the command is the command, and nothing else is:
//
//   - Case does not matter: "/SINDRI DEPLOY" is "/sindri deploy".
//   - Every Unicode space (no-break space U+00A0, the U+2000 block, narrow no-break U+202F,
//     ideographic U+3000, ...) counts as an ASCII space, for indentation too.
//   - A first line holding an invisible format character (zero-width space, joiners, word
//     joiner, byte order mark, soft hyphen, bidirectional controls: Unicode category Cf) is not
//     a command: what it would run differs from what a reader sees.
//   - There is no compatibility folding: fullwidth forms ("／ｓｉｎｄｒｉ") and letters of other
//     scripts that look Latin are not the prefix.
//
// Whatever Parse accepts as addressed to the prefix (a Command or a *ParseError) goes through
// the same permission checks; ErrNotCommand means the bot neither acts nor answers.
package chatops

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sindri/deploy/v3/pkg/jobs"
)

// DefaultPrefix is the command prefix used when none is configured.
const DefaultPrefix = "/sindri"

// Bounds for --ttl.
const (
	MinTTL = time.Minute
	MaxTTL = 720 * time.Hour
)

// Verb is what a command asks for: a job kind (jobs.Kind's values), VerbConnect or VerbHelp.
type Verb string

// Verbs. Every verb but VerbConnect and VerbHelp is the job kind of the same name.
const (
	VerbDeploy  = Verb(jobs.KindDeploy)
	VerbDestroy = Verb(jobs.KindDestroy)
	VerbStop    = Verb(jobs.KindStop)
	VerbStart   = Verb(jobs.KindStart)
	VerbStatus  = Verb(jobs.KindStatus)
	VerbPlan    = Verb(jobs.KindPlan)
	// VerbConnect runs a status job and answers with the environment's connect instructions
	// (the guide's `sindri connect`).
	VerbConnect Verb = "connect"
	VerbHelp    Verb = "help"
)

// Verbs lists every verb in a stable order.
var Verbs = []Verb{VerbDeploy, VerbDestroy, VerbStop, VerbStart, VerbStatus, VerbConnect, VerbPlan, VerbHelp}

// String implements fmt.Stringer.
func (v Verb) String() string { return string(v) }

// Mutates reports whether the verb changes an environment; such commands need the commenter to
// hold the configured repository permission.
func (v Verb) Mutates() bool { return jobs.Kind(v).Mutates() }

func (v Verb) valid() bool {
	for _, k := range Verbs {
		if k == v {
			return true
		}
	}
	return false
}

// Command is one parsed comment command.
type Command struct {
	// Verb is the requested operation.
	Verb Verb
	// Provider overrides the configured provider when non-empty.
	Provider string
	// Force asks deploy to redeploy an up-to-date environment, or destroy to proceed even when
	// the environment record says nothing exists.
	Force bool
	// TTL, when non-zero, is how long the environment may live before the reaper removes it.
	TTL time.Duration
}

// Render returns the canonical text of c with the given prefix; Parse(c.Render(p), p) returns
// c again for every Command that Parse can return.
func (c Command) Render(prefix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteByte(' ')
	b.WriteString(string(c.Verb))
	if c.Provider != "" {
		b.WriteString(" --provider ")
		b.WriteString(c.Provider)
	}
	if c.Force {
		b.WriteString(" --force")
	}
	if c.TTL != 0 {
		b.WriteString(" --ttl ")
		b.WriteString(c.TTL.String())
	}
	return b.String()
}

// ErrNotCommand is returned by Parse when the comment is not addressed to the prefix at all;
// the bot stays silent.
var ErrNotCommand = errors.New("chatops: not a command")

// ErrSyntax is the sentinel every *ParseError unwraps to.
var ErrSyntax = errors.New("chatops: invalid command")

// ErrBadPrefix is returned by Parse and ValidatePrefix for an empty prefix or one that holds
// whitespace.
var ErrBadPrefix = errors.New("chatops: prefix must be non-empty and hold no whitespace")

// ParseErrorKind classifies a *ParseError.
type ParseErrorKind int

// Parse error kinds.
const (
	UnknownVerb ParseErrorKind = iota + 1
	UnknownFlag
	MissingValue
	BadValue
	DuplicateFlag
	FlagNotAllowed
	UnexpectedArgument
)

var kindNames = map[ParseErrorKind]string{
	UnknownVerb: "unknown verb", UnknownFlag: "unknown flag", MissingValue: "missing value",
	BadValue: "bad value", DuplicateFlag: "duplicate flag", FlagNotAllowed: "flag not allowed",
	UnexpectedArgument: "unexpected argument",
}

// String implements fmt.Stringer.
func (k ParseErrorKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "ParseErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// ParseError is a command addressed to the bot that it cannot run. Its message is written for
// the commenter and may be posted back verbatim: the commenter's own text (Token) only appears
// in it as an inert code span (see CodeSpan), so a reply never mentions, links or formats
// anything under the bot's name.
type ParseError struct {
	Kind  ParseErrorKind
	Verb  Verb   // the verb, when it was recognised
	Token string // the offending token
	Msg   string // extra detail
}

// Error implements error.
func (e *ParseError) Error() string {
	var s string
	switch e.Kind {
	case UnknownVerb:
		s = fmt.Sprintf("unknown command %s; valid commands: %s", CodeSpan(e.Token), verbList())
	case UnknownFlag:
		s = fmt.Sprintf("unknown flag %s for %s", CodeSpan(e.Token), e.Verb)
	case MissingValue:
		s = fmt.Sprintf("flag %s needs a value", e.Token)
	case BadValue:
		s = fmt.Sprintf("bad value for %s", e.Token)
	case DuplicateFlag:
		s = fmt.Sprintf("flag %s given twice", e.Token)
	case FlagNotAllowed:
		s = fmt.Sprintf("flag %s does not apply to %s", e.Token, e.Verb)
	case UnexpectedArgument:
		s = fmt.Sprintf("unexpected argument %s after %s (only flags may follow the command)", CodeSpan(e.Token), e.Verb)
	default:
		s = "invalid command"
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Unwrap returns ErrSyntax.
func (e *ParseError) Unwrap() error { return ErrSyntax }

// maxQuoted bounds, in runes, the user text CodeSpan quotes.
const maxQuoted = 40

// CodeSpan returns s as a Markdown code span, in which GitHub renders no mention, link,
// emoji shortcode or HTML: the delimiter is one backtick longer than the longest run of
// backticks in s (padded with spaces when s starts or ends with one), line breaks and other
// control characters become U+FFFD, and text beyond 40 runes is cut off with an ellipsis.
func CodeSpan(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxQuoted {
			b.WriteRune('…')
			break
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			r = unicode.ReplacementChar
		}
		b.WriteRune(r)
		n++
	}
	t := b.String()
	longest, run := 0, 0
	for _, r := range t {
		if r != '`' {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(t, "`") || strings.HasSuffix(t, "`") || t == "" {
		t = " " + t + " "
	}
	return fence + t + fence
}

func verbList() string {
	s := make([]string, len(Verbs))
	for i, v := range Verbs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// ValidatePrefix returns ErrBadPrefix unless p is usable as a command prefix.
func ValidatePrefix(p string) error {
	if p == "" || strings.IndexFunc(p, unicode.IsSpace) >= 0 {
		return ErrBadPrefix
	}
	return nil
}

var providerName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// flagSpec says which verbs accept a flag and whether it takes a value.
type flagSpec struct {
	value bool
	verbs []Verb
}

var flags = map[string]flagSpec{
	"--provider": {value: true, verbs: []Verb{VerbDeploy, VerbDestroy, VerbStop, VerbStart, VerbStatus, VerbConnect, VerbPlan}},
	"--force":    {verbs: []Verb{VerbDeploy, VerbDestroy}},
	"--ttl":      {value: true, verbs: []Verb{VerbDeploy}},
}

// Parse reads the command in the first non-blank line of body. It returns ErrNotCommand when
// that line is not addressed to prefix, ErrBadPrefix for an unusable prefix, and a *ParseError
// (wrapping ErrSyntax) when it is addressed to prefix but malformed.
func Parse(body, prefix string) (Command, error) {
	if err := ValidatePrefix(prefix); err != nil {
		return Command{}, err
	}
	line, ok := firstLine(body)
	if !ok {
		return Command{}, ErrNotCommand
	}
	rest, ok := cutPrefixFold(line, prefix)
	if !ok {
		return Command{}, ErrNotCommand
	}
	if rest != "" {
		r := []rune(rest)[0]
		if !unicode.IsSpace(r) {
			return Command{}, ErrNotCommand // "/sindrix": someone else's prefix
		}
	}
	toks := strings.Fields(rest)
	if len(toks) == 0 {
		return Command{Verb: VerbHelp}, nil
	}
	cmd := Command{Verb: Verb(strings.ToLower(toks[0]))}
	if !cmd.Verb.valid() {
		return Command{}, &ParseError{Kind: UnknownVerb, Token: toks[0]}
	}
	seen := map[string]bool{}
	for i := 1; i < len(toks); i++ {
		tok := toks[i]
		if !strings.HasPrefix(tok, "--") {
			return Command{}, &ParseError{Kind: UnexpectedArgument, Verb: cmd.Verb, Token: tok}
		}
		name, val, hasVal := strings.Cut(tok, "=")
		spec, known := flags[name]
		if !known {
			return Command{}, &ParseError{Kind: UnknownFlag, Verb: cmd.Verb, Token: name}
		}
		if !allowed(spec, cmd.Verb) {
			return Command{}, &ParseError{Kind: FlagNotAllowed, Verb: cmd.Verb, Token: name}
		}
		if seen[name] {
			return Command{}, &ParseError{Kind: DuplicateFlag, Verb: cmd.Verb, Token: name}
		}
		seen[name] = true
		if !spec.value {
			if hasVal {
				return Command{}, &ParseError{Kind: BadValue, Verb: cmd.Verb, Token: name, Msg: "takes no value"}
			}
		} else if !hasVal {
			if i+1 >= len(toks) || strings.HasPrefix(toks[i+1], "--") {
				return Command{}, &ParseError{Kind: MissingValue, Verb: cmd.Verb, Token: name}
			}
			i++
			val = toks[i]
		}
		if err := apply(&cmd, name, val); err != nil {
			return Command{}, err
		}
	}
	return cmd, nil
}

func allowed(s flagSpec, v Verb) bool {
	for _, x := range s.verbs {
		if x == v {
			return true
		}
	}
	return false
}

func apply(cmd *Command, name, val string) error {
	switch name {
	case "--provider":
		if !providerName.MatchString(val) {
			return &ParseError{Kind: BadValue, Verb: cmd.Verb, Token: name,
				Msg: "provider names are lower-case letters, digits and '-', at most 32 characters"}
		}
		cmd.Provider = val
	case "--force":
		cmd.Force = true
	case "--ttl":
		d, err := parseTTL(val)
		if err != nil {
			return &ParseError{Kind: BadValue, Verb: cmd.Verb, Token: name, Msg: err.Error()}
		}
		cmd.TTL = d
	}
	return nil
}

var errTTL = errors.New("want a duration such as 90m, 48h or 7d, between 1m and 30d")

func parseTTL(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok && n != "" && strings.Trim(n, "0123456789") == "" {
		days, err := strconv.Atoi(n)
		if err != nil || days > int(MaxTTL/(24*time.Hour)) {
			return 0, errTTL
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		v, err := time.ParseDuration(s)
		if err != nil {
			return 0, errTTL
		}
		d = v
	}
	if d < MinTTL || d > MaxTTL {
		return 0, errTTL
	}
	return d, nil
}

// cutPrefixFold is strings.CutPrefix ignoring case (Unicode simple folding, rune for rune).
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// firstLine returns the first non-blank line of body with its Unicode spaces made ASCII spaces
// and up to three spaces of indentation removed; it reports false when there is none, when
// the line is indented code, or when it holds an invisible format character.
func firstLine(body string) (string, bool) {
	for len(body) > 0 {
		line, rest, _ := strings.Cut(body, "\n")
		body = rest
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.IndexFunc(line, isFormat) >= 0 {
			return "", false
		}
		line = strings.Map(asciiSpace, line)
		n := 0
		for n < len(line) && line[n] == ' ' {
			n++
		}
		if n > 3 || (n < len(line) && line[n] == '\t') {
			return "", false
		}
		return strings.TrimRightFunc(line[n:], unicode.IsSpace), true
	}
	return "", false
}

// isFormat reports an invisible format character (Unicode category Cf: zero-width space and
// joiners, word joiner, byte order mark, soft hyphen, bidirectional controls).
func isFormat(r rune) bool { return unicode.Is(unicode.Cf, r) }

// asciiSpace maps every non-ASCII Unicode space to an ASCII space.
func asciiSpace(r rune) rune {
	if r > unicode.MaxASCII && unicode.IsSpace(r) {
		return ' '
	}
	return r
}

// Help returns the Markdown usage text for prefix, posted in reply to "help" and to errors.
func Help(prefix string) string {
	return fmt.Sprintf("Commands (first line of a comment):\n\n"+
		"| Command | What it does |\n|---|---|\n"+
		"| `%[1]s deploy [--provider NAME] [--force] [--ttl 48h]` | create or update this PR's environment |\n"+
		"| `%[1]s destroy [--provider NAME] [--force]` | remove it |\n"+
		"| `%[1]s stop` / `%[1]s start` | stop it, or start it again, keeping its data |\n"+
		"| `%[1]s status` | report its state |\n"+
		"| `%[1]s connect` | reply with the ways into it: the exact SSH or exec command, a VS Code link |\n"+
		"| `%[1]s plan [--provider NAME]` | show what deploy would do, changing nothing |\n"+
		"| `%[1]s help` | this text |\n", prefix)
}
