package cli

import (
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// Defaults used for the zero values of Cmd's limits.
const (
	DefaultLinesPerSecond = 50
	DefaultTailLines      = 40
	DefaultMaxLineBytes   = 4096
	DefaultInterruptGrace = 30 * time.Second
	DefaultTerminateGrace = 10 * time.Second
	DefaultOutputWait     = 5 * time.Second
)

// Cmd describes one run of a command-line tool. The zero value of every limit means its
// Default; Path is required.
type Cmd struct {
	// Path is the binary: a name looked up in the PATH given in Env (or, when Env sets no PATH,
	// in this process's PATH), or a path containing a slash, used as is.
	Path string
	// Setting names the configuration setting that chooses Path ("providers.packer.binary"),
	// so that a missing binary's error says what to fix.
	Setting string
	// Provider is the registry name of the provider running the command, for the request
	// metrics (providers.APIRequest); empty means the binary's base name.
	Provider string
	// Name is how errors and logs name the command; empty means the base name of Path
	// followed by Args[0] when that is a plain subcommand word ("packer build"). It must not
	// contain values.
	Name string
	// Args are the arguments after the binary. They must not contain a secret value: Run
	// refuses to start (ErrSecretInArgs) when one of Secrets appears in them.
	Args []string
	// Env is the complete environment of the command, as KEY=VALUE entries. Nothing is
	// inherited from this process: not PATH, not HOME, not proxy settings. An empty Env runs
	// the command with an empty environment.
	Env []string
	// Dir is the working directory; empty means this process's.
	Dir string
	// Stdin is the command's standard input; nil means /dev/null. See SecretOnStdin.
	Stdin io.Reader
	// Stdout, when set, receives the command's standard output unredacted, for a caller that
	// parses it (JSON); stdout lines then go to the error tail but not to the Reporter. The
	// caller must not log what it receives.
	Stdout io.Writer
	// Secrets are values that are redacted (with their escaped and encoded forms, see
	// secrets.Redactor) from every streamed line, tail and error, and that must not appear
	// in Args.
	Secrets []string
	// Reporter receives each output line, redacted and bounded; nil discards them.
	Reporter providers.Reporter
	// LinesPerSecond bounds how many lines reach the Reporter each second; lines over the
	// limit are counted and reported as "... N lines skipped". Negative means unlimited.
	LinesPerSecond int
	// TailLines is how many of the last lines of each stream an *ExitError keeps.
	TailLines int
	// MaxLineBytes bounds one reported line; longer lines are cut and marked.
	MaxLineBytes int
	// ExitCodes maps exit codes to the error that *ExitError matches with errors.Is
	// (providers.ErrNotFound, providers.ErrUnavailable, ...).
	ExitCodes map[int]error
	// Classify, when set, is called for a failure whose exit code is not in ExitCodes and
	// returns the error the *ExitError matches, or nil. It may read the redacted tails: this
	// is the one place where matching a tool's output text is allowed, because CLIs report
	// most failures with one exit code and a message.
	Classify func(*ExitError) error
	// InterruptGrace is how long a cancelled command has after SIGINT before SIGTERM.
	InterruptGrace time.Duration
	// TerminateGrace is how long it has after SIGTERM before SIGKILL.
	TerminateGrace time.Duration
	// OutputWait is how long Run waits, once the command has exited, for its output pipes
	// to close; a process of its group still holding them is then killed.
	OutputWait time.Duration
}

// SecretOnStdin makes value the command's standard input and declares it a secret, the way
// to hand a tool a token it can read from stdin ("--password-stdin").
func (c *Cmd) SecretOnStdin(value string) {
	c.Stdin = strings.NewReader(value)
	c.Secrets = append(c.Secrets, value)
}

var subcommand = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// name returns the command's name for errors and logs.
func (c *Cmd) name() string {
	if c.Name != "" {
		return c.Name
	}
	n := filepath.Base(c.Path)
	if len(c.Args) > 0 && subcommand.MatchString(c.Args[0]) {
		n += " " + c.Args[0]
	}
	return n
}

// withDefaults returns c with its zero limits replaced by the defaults.
func (c Cmd) withDefaults() Cmd {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.LinesPerSecond, DefaultLinesPerSecond)
	def(&c.TailLines, DefaultTailLines)
	def(&c.MaxLineBytes, DefaultMaxLineBytes)
	defDur(&c.InterruptGrace, DefaultInterruptGrace)
	defDur(&c.TerminateGrace, DefaultTerminateGrace)
	defDur(&c.OutputWait, DefaultOutputWait)
	if c.Reporter == nil {
		c.Reporter = providers.NopReporter{}
	}
	return c
}

// redactor returns the redactor of c's secrets.
func (c *Cmd) redactor() *secrets.Redactor {
	vals := make([]secrets.Value, 0, len(c.Secrets))
	for _, s := range c.Secrets {
		vals = append(vals, secrets.New(s))
	}
	return secrets.NewRedactor(vals...)
}

// checkArgs returns a *SecretInArgsError for the first argument holding a secret (in any
// form the redactor knows, or verbatim for values too short to redact).
func (c *Cmd) checkArgs(red *secrets.Redactor) error {
	for i, a := range c.Args {
		if red.Redact(a) != a || c.isShortSecret(a) {
			return &SecretInArgsError{Name: c.name(), Index: i + 1}
		}
	}
	return nil
}

func (c *Cmd) isShortSecret(arg string) bool {
	for _, s := range c.Secrets {
		if s != "" && len(s) < secrets.MinRedactLength && (arg == s || strings.HasSuffix(arg, "="+s)) {
			return true
		}
	}
	return false
}

// longestSecret is the byte length of the longest secret, to size line buffers so that a
// secret crossing the cut of a long line is still redacted before the cut.
func (c *Cmd) longestSecret() int {
	n := 0
	for _, s := range c.Secrets {
		n = max(n, len(s))
	}
	return n
}
