package action

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nkeys"
	"github.com/sethvargo/go-githubactions"

	"github.com/sindri/deploy/v3/internal/excerpt"
	"github.com/sindri/deploy/v3/pkg/chatops"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/jobs"
)

// Command is the value of the `command` input.
type Command string

// Commands accepted by the `command` input: the environment job kinds (jobs.Kind's values) and
// CommandAuto, which derives the command from the event.
const (
	CommandAuto    Command = "auto"
	CommandDeploy          = Command(jobs.KindDeploy)
	CommandDestroy         = Command(jobs.KindDestroy)
	CommandStop            = Command(jobs.KindStop)
	CommandStart           = Command(jobs.KindStart)
	CommandStatus          = Command(jobs.KindStatus)
	CommandPlan            = Command(jobs.KindPlan)
	CommandReap            = Command(jobs.KindReap)
	// The image commands run the image job kinds on the config's image builder (provider
	// packer); their job's environment is the image's name key (providers.packer.image_name).
	CommandImageBuild    = Command(jobs.KindImageBuild)
	CommandImageValidate = Command(jobs.KindImageValidate)
	CommandImageList     = Command(jobs.KindImageList)
	CommandImageDelete   = Command(jobs.KindImageDelete) // needs the image-id input
)

// commands are CommandAuto and every job kind.
var commands = func() []Command {
	out := []Command{CommandAuto}
	for _, k := range jobs.Kinds {
		out = append(out, Command(k))
	}
	return out
}()

// String implements fmt.Stringer.
func (c Command) String() string { return string(c) }

// ParseCommand returns the Command named s, or an error naming the valid values.
func ParseCommand(s string) (Command, error) {
	for _, c := range commands {
		if string(c) == strings.ToLower(strings.TrimSpace(s)) {
			return c, nil
		}
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = string(c)
	}
	return "", fmt.Errorf("want one of %s", strings.Join(names, ", "))
}

// OnDraft is the value of the `on-draft` input: what draft pull requests get.
type OnDraft string

// OnDraft values.
const (
	// DraftIgnore: draft PRs get no preview; converting a PR to draft leaves its environment
	// as it is. The default.
	DraftIgnore OnDraft = "ignore"
	// DraftStop: as DraftIgnore, and converting to draft stops the environment.
	DraftStop OnDraft = "stop"
	// DraftDestroy: as DraftIgnore, and converting to draft destroys the environment.
	DraftDestroy OnDraft = "destroy"
	// DraftDeploy: draft PRs are previewed like any other.
	DraftDeploy OnDraft = "deploy"
)

// String implements fmt.Stringer.
func (o OnDraft) String() string { return string(o) }

// Inputs are the action's parsed and validated inputs (see action.yml).
type Inputs struct {
	Command     Command
	Config      string // path of sindri.yaml, relative to the workspace
	Provider    string // overrides the config's provider when set
	Environment string // environment name template; empty means the default naming
	NATSURL     string // empty: embedded NATS server and in-process executor
	NATSCreds   string // secret: NATS credentials file content
	// NATSCA is PEM CA certificates to verify the NATS servers with (a private CA); NATSTLSCert
	// and NATSTLSKey (secret) are a PEM client certificate and key for mutual TLS.
	NATSCA, NATSTLSCert, NATSTLSKey string
	// ExecutorKey is the executors' public xkey (not secret): with NATSURL, resolved secrets
	// are sealed to it.
	ExecutorKey string
	// SigningKey is the job signing seed (secret, SU...): with NATSURL, every job is signed
	// with it for executors that require signatures (trusted_signers).
	SigningKey        string
	GitHubToken       string // secret
	Wait              bool
	Timeout           time.Duration
	Comment           bool
	Deployment        bool
	ChatOpsPrefix     string
	ChatOpsPermission github.Permission
	AllowForks        bool
	OnDraft           OnDraft
	DryRun            bool
	// ImageID is the image an image-delete command deletes (image-id input).
	ImageID string
}

// Input defaults, applied when an input is empty (action.yml declares the same values).
const (
	DefaultConfig  = "sindri.yaml"
	DefaultTimeout = 30 * time.Minute
	MaxTimeout     = 6 * time.Hour
)

// InputError describes one invalid input. It never holds a secret input's value.
type InputError struct {
	Input  string // the input name as written in action.yml
	Value  string // the offending value; "***" for secret inputs
	Reason string
}

// Error implements error. The value appears only as a short excerpt, and not at all when it
// looks like a credential (an input can hold a token pasted in the wrong place).
func (e *InputError) Error() string {
	return fmt.Sprintf("input %q: invalid value %s: %s", e.Input, excerpt.Quote(e.Value), e.Reason)
}

// Unwrap returns ErrInvalidInput.
func (e *InputError) Unwrap() error { return ErrInvalidInput }

// ErrInvalidInput is the sentinel every *InputError unwraps to.
var ErrInvalidInput = errors.New("invalid action input")

var providerName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// ParseInputs masks the secret inputs (github-token, nats-creds, signing-key) with ::add-mask:: before
// anything else, then reads and validates every input through a. All problems are returned
// together, joined with errors.Join, each an *InputError (wrapping ErrInvalidInput).
func ParseInputs(a *githubactions.Action) (Inputs, error) {
	for _, name := range []string{"github-token", "nats-creds", "signing-key", "nats-tls-key"} {
		maskSecret(a, a.GetInput(name))
	}
	if u, err := url.Parse(a.GetInput("nats-url")); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			maskSecret(a, pw)
		}
	}
	var errs []error
	bad := func(input, value, reason string) {
		errs = append(errs, &InputError{Input: input, Value: value, Reason: reason})
	}
	get := func(name, def string) string {
		if v := a.GetInput(name); v != "" {
			return v
		}
		return def
	}
	boolean := func(name string, def bool) bool {
		// The raw value: GetInput trims whitespace, which would let "TRUE " through.
		v := a.Getenv(inputVar(name))
		if v == "" {
			return def
		}
		b, ok := ParseBool(v)
		if !ok {
			bad(name, v, "want true or false (true, True, TRUE, false, False or FALSE, with nothing around it)")
			return def
		}
		return b
	}

	in := Inputs{
		Config:      get("config", DefaultConfig),
		Environment: a.GetInput("environment"),
		NATSCreds:   a.GetInput("nats-creds"),
		GitHubToken: a.GetInput("github-token"),
		Wait:        boolean("wait", true),
		Comment:     boolean("comment", true),
		Deployment:  boolean("deployment", true),
		AllowForks:  boolean("allow-forks", false),
		DryRun:      boolean("dry-run", false),
	}

	{
		v := get("command", string(CommandAuto))
		c, err := ParseCommand(v)
		if err != nil {
			bad("command", v, err.Error())
		}
		in.Command = c
	}
	in.ImageID = strings.TrimSpace(a.GetInput("image-id"))
	switch {
	case in.Command == CommandImageDelete && in.ImageID == "":
		bad("image-id", "", "command image-delete needs the id of the image to delete (an AMI id such as ami-0123456789abcdef0)")
	case in.ImageID != "" && in.Command != CommandImageDelete:
		bad("image-id", in.ImageID, "only command image-delete reads it")
	case strings.ContainsAny(in.ImageID, " \n\r\x00"):
		bad("image-id", in.ImageID, "must be one word")
	}
	if strings.Contains(in.Config, "\x00") || strings.HasPrefix(in.Config, "/") || hasDotDot(in.Config) {
		bad("config", in.Config, "want a path inside the repository, such as sindri.yaml or deploy/sindri.yaml")
	}
	if v := a.GetInput("provider"); v != "" {
		if !providerName.MatchString(v) {
			bad("provider", v, "want a provider name such as docker, fly, kubernetes")
		}
		in.Provider = v
	}
	if strings.ContainsAny(in.Environment, "\n\r\x00") {
		bad("environment", in.Environment, "must be one line")
	}
	if v := a.GetInput("nats-url"); v != "" {
		if err := checkNATSURL(v); err != nil {
			bad("nats-url", redactURL(v), err.Error())
		}
		in.NATSURL = v
	}
	{
		v := get("timeout", DefaultTimeout.String())
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			bad("timeout", v, "want a duration such as 30m or 1h")
		case d <= 0 || d > MaxTimeout:
			bad("timeout", v, "want a duration above 0 and at most 6h (the GitHub job limit)")
		default:
			in.Timeout = d
		}
	}
	{
		v := get("chatops-prefix", chatops.DefaultPrefix)
		if err := chatops.ValidatePrefix(v); err != nil {
			bad("chatops-prefix", v, "want a word without spaces, such as /sindri")
		}
		in.ChatOpsPrefix = v
	}
	{
		v := get("chatops-permission", "write")
		p, err := github.ParsePermission(v)
		if err != nil || p == github.PermNone {
			bad("chatops-permission", v, "want read, triage, write, maintain or admin")
		}
		in.ChatOpsPermission = p
	}
	{
		v := get("on-draft", string(DraftIgnore))
		switch o := OnDraft(strings.ToLower(v)); o {
		case DraftIgnore, DraftStop, DraftDestroy, DraftDeploy:
			in.OnDraft = o
		default:
			bad("on-draft", v, "want ignore, stop, destroy or deploy")
		}
	}
	if v := strings.TrimSpace(a.GetInput("executor-key")); v != "" {
		switch {
		case looksLikeSeed(v):
			maskSecret(a, v)
			bad("executor-key", "***", "this is a seed (the executors' private key), not the public key: pass the public key `sindri-executor keygen` printed, and replace this seed on the executors, since the workflow has seen it")
		case !nkeys.IsValidPublicCurveKey(v):
			bad("executor-key", v, "want the executors' public xkey (56 characters starting with X), as printed by `sindri-executor keygen`")
		case in.NATSURL == "":
			bad("executor-key", v, "set only together with nats-url (the embedded executor receives secrets in memory)")
		default:
			in.ExecutorKey = v
		}
	}
	if v := strings.TrimSpace(a.GetInput("signing-key")); v != "" {
		if _, err := jobs.SigningKey(v); err != nil {
			bad("signing-key", "***", err.Error())
		} else if in.NATSURL == "" {
			bad("signing-key", "***", "set only together with nats-url (the embedded executor runs only this run's own jobs)")
		} else {
			in.SigningKey = v
		}
	}
	if v := strings.TrimSpace(a.GetInput("nats-ca")); v != "" {
		switch {
		case in.NATSURL == "":
			bad("nats-ca", "(PEM)", "set only together with nats-url")
		case !x509.NewCertPool().AppendCertsFromPEM([]byte(v)):
			bad("nats-ca", "(not PEM)", "want one or more PEM certificates (-----BEGIN CERTIFICATE-----), for example from a repository variable")
		default:
			in.NATSCA = v
		}
	}
	cert, key := strings.TrimSpace(a.GetInput("nats-tls-cert")), strings.TrimSpace(a.GetInput("nats-tls-key"))
	switch {
	case cert == "" && key == "":
	case in.NATSURL == "":
		bad("nats-tls-cert", "(PEM)", "set only together with nats-url")
	case cert == "" || key == "":
		bad("nats-tls-cert", "(PEM)", "nats-tls-cert and nats-tls-key go together: give both for mutual TLS, or neither")
	default:
		if _, err := tls.X509KeyPair([]byte(cert), []byte(key)); err != nil {
			// The error text of X509KeyPair never contains key material.
			bad("nats-tls-cert", "(PEM)", "nats-tls-cert and nats-tls-key do not form a key pair: "+err.Error())
		} else {
			in.NATSTLSCert, in.NATSTLSKey = cert, key
		}
	}
	if in.NATSCreds != "" && in.NATSURL == "" {
		bad("nats-creds", "***", "set only together with nats-url (the embedded server needs no credentials)")
	}
	return in, errors.Join(errs...)
}

// ParseBool parses a boolean input strictly, as the YAML 1.2 core schema and @actions/core's
// getBooleanInput do: true, True and TRUE are true; false, False and FALSE are false. Anything
// else, including surrounding whitespace, yes/no, on/off, 1/0 and t/f, reports ok false.
func ParseBool(s string) (value, ok bool) {
	switch s {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

// inputVar is the environment variable the runner sets for input name: INPUT_ and the name
// upper-cased, spaces as underscores (as githubactions.Action.GetInput reads it).
func inputVar(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// looksLikeSeed reports whether v decodes as an nkey seed (any type).
func looksLikeSeed(v string) bool {
	_, _, err := nkeys.DecodeSeed([]byte(v))
	return err == nil
}

func hasDotDot(p string) bool {
	for _, seg := range strings.Split(strings.ReplaceAll(p, `\`, "/"), "/") {
		if seg == ".." {
			return true
		}
	}
	return false
}

func checkNATSURL(raw string) error {
	for _, one := range strings.Split(raw, ",") {
		u, err := url.Parse(strings.TrimSpace(one))
		if err != nil || u.Host == "" {
			return errors.New("want nats://host:port (comma-separated for a cluster)")
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return fmt.Errorf("scheme %q: want nats, tls, ws or wss", u.Scheme)
		}
	}
	return nil
}

// redactURL drops any user:password part of a URL before it is shown in an error.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if strings.Contains(raw, "@") {
			return "***"
		}
		return raw
	}
	u.User = url.User("***")
	return u.String()
}

// maskSecret masks v and, because the runner matches masks line by line, each of its lines.
func maskSecret(a *githubactions.Action, v string) {
	if strings.TrimSpace(v) == "" {
		return
	}
	a.AddMask(v)
	if strings.Contains(v, "\n") {
		for _, line := range strings.Split(v, "\n") {
			if l := strings.TrimSpace(line); len(l) >= 4 {
				a.AddMask(l)
			}
		}
	}
}
