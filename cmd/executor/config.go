package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/nats-io/nkeys"

	sindriconfig "github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers/builtin"
)

// config is the executor's resolved configuration. Each setting comes from, in increasing
// precedence: the built-in default, the HCL file, a SINDRI_* environment variable, a flag.
type config struct {
	ConfigFile string

	NATSURL   string
	NATSCreds string // path of a .creds file
	NATSNKey  string // path of an nkey seed file
	TLSCA     string
	TLSCert   string
	TLSKey    string

	Concurrency int
	Providers   []string // empty = every registered provider
	// ProviderBlocks are the file's provider "<name>" { ... } blocks; the SINDRI_<NAME>_<SETTING>
	// variables that override them are applied by builtin.Registry.
	ProviderBlocks map[string]builtin.Block
	AllowedRepos   []string // empty = any repository
	// TrustedSigners are public user nkeys; when set, only jobs signed by one of them run.
	TrustedSigners []string

	// ReaperInterval is how often the executor publishes reap jobs; 0 disables the reaper.
	ReaperInterval   time.Duration
	ReaperDefaultTTL time.Duration

	MetricsListen string
	// UIListen is the operator web view's listen address ("" = off); UITokenFile holds the
	// token it requires, read into UIToken (required on any address but loopback).
	UIListen     string
	UITokenFile  string
	UIToken      string
	DrainTimeout time.Duration
	LeaseTTL     time.Duration
	AckWait      time.Duration
	MaxDeliver   int
	LogLevel     string
	// StreamReplicas is used when the executor creates missing streams and buckets.
	StreamReplicas int
	// EventsMaxAge, EventsMaxBytes and JobsDuplicateWindow configure streams the executor
	// creates (zero: the events package defaults).
	EventsMaxAge        time.Duration
	EventsMaxBytes      int64
	JobsDuplicateWindow time.Duration

	// SecretsKeyFile is the path of the xkey seed that opens jobs' sealed secrets.
	SecretsKeyFile string
	// SecretsKey is the key pair read from SecretsKeyFile (nil when none is set).
	SecretsKey nkeys.KeyPair
	// SigningKeyFile is the path of the user nkey seed the reaper signs its jobs with.
	SigningKeyFile string
	// SigningKey is the key pair read from SigningKeyFile (nil when none is set).
	SigningKey nkeys.KeyPair
	// CostPrices and CostPolicy are the file's cost block (docs/cost.md).
	CostPrices cost.Prices
	CostPolicy cost.Policy
	// IdleStop is cost.idle_stop: the reaper stops a running environment that saw no job for
	// this long (0: never).
	IdleStop time.Duration
	// CostIdle is IdleStop with the repository blocks' shorter idle_stop values.
	CostIdle cost.Idle
	// Warnings are the file's problems that do not stop the executor, logged at start.
	Warnings []string
}

func defaultConfig() config {
	return config{
		NATSURL:          "nats://127.0.0.1:4222",
		Concurrency:      4,
		ReaperDefaultTTL: 72 * time.Hour,
		MetricsListen:    "127.0.0.1:9090",
		DrainTimeout:     30 * time.Second,
		LeaseTTL:         30 * time.Second,
		AckWait:          30 * time.Second,
		MaxDeliver:       10,
		LogLevel:         "info",
		StreamReplicas:   1,
	}
}

// errConfig is wrapped by every configuration error so callers can tell them apart (exit 2).
var errConfig = errors.New("configuration")

// setting describes one configuration key in all three sources.
type setting struct {
	hclPath string // "concurrency" or "nats.url"
	env     string
	flag    string
	usage   string
	set     func(c *config, v string) error
}

func durationSetter(dst func(*config) *time.Duration, allowZero bool) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%q is not a duration like \"30s\" or \"1h\"", v)
		}
		if d < 0 || (d == 0 && !allowZero) {
			return fmt.Errorf("%q must be positive", v)
		}
		*dst(c) = d
		return nil
	}
}

func intSetter(dst func(*config) *int, min int) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not an integer", v)
		}
		if n < min {
			return fmt.Errorf("%d is below the minimum %d", n, min)
		}
		*dst(c) = n
		return nil
	}
}

func stringSetter(dst func(*config) *string) func(*config, string) error {
	return func(c *config, v string) error { *dst(c) = v; return nil }
}

func listSetter(dst func(*config) *[]string) func(*config, string) error {
	return func(c *config, v string) error {
		var out []string
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		*dst(c) = out
		return nil
	}
}

// signersSetter sets trusted_signers after checking every key, so a bad key is reported with
// where it was set.
func signersSetter(c *config, v string) error {
	var keys []string
	if err := listSetter(func(*config) *[]string { return &keys })(c, v); err != nil {
		return err
	}
	if _, err := jobs.NewVerifier(keys); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "jobs: "))
	}
	c.TrustedSigners = keys
	return nil
}

// minEventsMaxBytes is the smallest events_max_bytes accepted.
const minEventsMaxBytes = 64 << 20

var logLevels = []string{"trace", "debug", "info", "warn", "error"}

// settings is the one table of keys; docs/executor.md mirrors it.
func settings() []setting {
	return []setting{
		{"nats.url", "SINDRI_NATS_URL", "nats-url", "NATS server URL(s), comma separated", stringSetter(func(c *config) *string { return &c.NATSURL })},
		{"nats.creds", "SINDRI_NATS_CREDS", "nats-creds", "NATS user credentials file", stringSetter(func(c *config) *string { return &c.NATSCreds })},
		{"nats.nkey", "SINDRI_NATS_NKEY", "nats-nkey", "NATS nkey seed file", stringSetter(func(c *config) *string { return &c.NATSNKey })},
		{"nats.tls.ca", "SINDRI_NATS_TLS_CA", "nats-tls-ca", "CA bundle for the NATS server certificate", stringSetter(func(c *config) *string { return &c.TLSCA })},
		{"nats.tls.cert", "SINDRI_NATS_TLS_CERT", "nats-tls-cert", "client certificate for NATS mTLS", stringSetter(func(c *config) *string { return &c.TLSCert })},
		{"nats.tls.key", "SINDRI_NATS_TLS_KEY", "nats-tls-key", "client key for NATS mTLS", stringSetter(func(c *config) *string { return &c.TLSKey })},
		{"concurrency", "SINDRI_CONCURRENCY", "concurrency", "jobs run at once", intSetter(func(c *config) *int { return &c.Concurrency }, 1)},
		{"providers", "SINDRI_PROVIDERS", "providers", "providers this executor serves, comma separated (empty = all registered)", listSetter(func(c *config) *[]string { return &c.Providers })},
		{"allowed_repos", "SINDRI_ALLOWED_REPOS", "allowed-repos", "owner/name patterns (path.Match) of repositories whose jobs run (empty = any)", listSetter(func(c *config) *[]string { return &c.AllowedRepos })},
		{"trusted_signers", "SINDRI_TRUSTED_SIGNERS", "trusted-signers", "public user nkeys (U...) whose signed jobs run; when set, unsigned jobs are refused (empty = signatures not required)", signersSetter},
		{"reaper.interval", "SINDRI_REAPER_INTERVAL", "reaper-interval", "how often to publish a reap job (0 = reaper off)", durationSetter(func(c *config) *time.Duration { return &c.ReaperInterval }, true)},
		{"reaper.default_ttl", "SINDRI_REAPER_DEFAULT_TTL", "reaper-default-ttl", "lifetime of an environment whose job set no TTL", durationSetter(func(c *config) *time.Duration { return &c.ReaperDefaultTTL }, false)},
		{"metrics_listen", "SINDRI_METRICS_LISTEN", "metrics-listen", "listen address of /metrics, /healthz, /readyz (empty = off)", stringSetter(func(c *config) *string { return &c.MetricsListen })},
		{"ui.listen", "SINDRI_UI_LISTEN", "ui-listen", "listen address of the read-only operator web view (empty = off; anything but loopback needs ui.token_file)", stringSetter(func(c *config) *string { return &c.UIListen })},
		{"ui.token_file", "SINDRI_UI_TOKEN_FILE", "ui-token-file", "file holding the token the web view requires (bearer, or basic auth password)", stringSetter(func(c *config) *string { return &c.UITokenFile })},
		{"drain_timeout", "SINDRI_DRAIN_TIMEOUT", "drain-timeout", "on SIGTERM, how long in-flight jobs may finish before they are handed back", durationSetter(func(c *config) *time.Duration { return &c.DrainTimeout }, false)},
		{"lease_ttl", "SINDRI_LEASE_TTL", "lease-ttl", "per-environment lease lifetime (renewed while a job runs)", durationSetter(func(c *config) *time.Duration { return &c.LeaseTTL }, false)},
		{"ack_wait", "SINDRI_ACK_WAIT", "ack-wait", "how long JetStream waits for an ack before redelivering a job (in-progress acks every third of it)", durationSetter(func(c *config) *time.Duration { return &c.AckWait }, false)},
		{"max_deliver", "SINDRI_MAX_DELIVER", "max-deliver", "provider attempts of a job before it is dead-lettered (waiting for a lease is not an attempt)", intSetter(func(c *config) *int { return &c.MaxDeliver }, 1)},
		{"events_max_age", "SINDRI_EVENTS_MAX_AGE", "events-max-age", "how long job events stay replayable, when the executor creates SINDRI_EVENTS (at least and by default 168h: executors read a job's history for as long as the job may be delivered)", func(c *config, v string) error {
			if err := durationSetter(func(c *config) *time.Duration { return &c.EventsMaxAge }, false)(c, v); err != nil {
				return err
			}
			if c.EventsMaxAge < events.DefaultJobsMaxAge {
				return fmt.Errorf("%q is below the minimum %s: a job's events must outlive the job (SINDRI_JOBS keeps jobs that long), or its attempts and its end are forgotten", v, events.DefaultJobsMaxAge)
			}
			return nil
		}},
		{"events_max_bytes", "SINDRI_EVENTS_MAX_BYTES", "events-max-bytes", "size bound of SINDRI_EVENTS when the executor creates it, e.g. 1GiB or 512MB (default 1GiB)", func(c *config, v string) error {
			n, err := sindriconfig.ParseSize(v)
			if err != nil || n <= 0 {
				return fmt.Errorf("%q is not a size like \"1GiB\" or \"512MB\"", v)
			}
			if n < minEventsMaxBytes {
				return fmt.Errorf("%q is below the minimum 64MiB: when the stream is full the oldest events go, and with them running jobs' histories", v)
			}
			c.EventsMaxBytes = n
			return nil
		}},
		{"jobs_duplicate_window", "SINDRI_JOBS_DUPLICATE_WINDOW", "jobs-duplicate-window", "how long a re-published job is recognised as a duplicate, when the executor creates SINDRI_JOBS (at least 10m, default 20m)", func(c *config, v string) error {
			if err := durationSetter(func(c *config) *time.Duration { return &c.JobsDuplicateWindow }, false)(c, v); err != nil {
				return err
			}
			if c.JobsDuplicateWindow < events.MinJobsDuplicateWindow {
				return fmt.Errorf("%q is below the minimum %s", v, events.MinJobsDuplicateWindow)
			}
			return nil
		}},
		{"stream_replicas", "SINDRI_STREAM_REPLICAS", "stream-replicas", "replicas of the streams and buckets when the executor has to create them (1 or 3)", intSetter(func(c *config) *int { return &c.StreamReplicas }, 1)},
		{"signing_key_file", "SINDRI_SIGNING_KEY_FILE", "signing-key-file", "job signing seed file (from `sindri-executor keygen -signing`) the reaper signs its jobs with; needed with trusted_signers and the reaper", stringSetter(func(c *config) *string { return &c.SigningKeyFile })},
		{"secrets_key_file", "SINDRI_SECRETS_KEY_FILE", "secrets-key-file", "xkey seed file (from `sindri-executor keygen`) that opens the secrets jobs carry sealed", stringSetter(func(c *config) *string { return &c.SecretsKeyFile })},
		{"log_level", "SINDRI_LOG_LEVEL", "log-level", "trace, debug, info, warn or error", func(c *config, v string) error {
			for _, l := range logLevels {
				if v == l {
					c.LogLevel = v
					return nil
				}
			}
			return fmt.Errorf("%q is not one of %s", v, strings.Join(logLevels, ", "))
		}},
	}
}

// loadConfig resolves the configuration from args (without the program name) and getenv.
// The file is -config, else SINDRI_EXECUTOR_CONFIG, else none. Every error wraps errConfig and
// names its source: file:line:col for the HCL file, the variable name, or the flag.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	c := defaultConfig()
	table := settings()

	fs := flag.NewFlagSet("executor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.ConfigFile, "config", "", "path of executor.hcl (env SINDRI_EXECUTOR_CONFIG)")
	flagVals := map[string]*string{}
	for _, s := range table {
		flagVals[s.flag] = fs.String(s.flag, "", s.usage+" (env "+s.env+", file "+s.hclPath+")")
	}
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("%w: %w", errConfig, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected arguments %q", errConfig, fs.Args())
	}
	if c.ConfigFile == "" {
		c.ConfigFile = getenv("SINDRI_EXECUTOR_CONFIG")
	}

	var errs []error
	if c.ConfigFile != "" {
		src, err := os.ReadFile(c.ConfigFile)
		if err != nil {
			return c, fmt.Errorf("%w: %w", errConfig, err)
		}
		if err := applyHCL(&c, c.ConfigFile, src, table); err != nil {
			errs = append(errs, err)
		}
	}
	for _, s := range table {
		if v, ok := lookup(getenv, s.env); ok {
			if err := s.set(&c, v); err != nil {
				errs = append(errs, fmt.Errorf("%w: env %s: %w", errConfig, s.env, err))
			}
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, s := range table {
		if set[s.flag] {
			if err := s.set(&c, *flagVals[s.flag]); err != nil {
				errs = append(errs, fmt.Errorf("%w: flag -%s: %w", errConfig, s.flag, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	if err := c.validate(); err != nil {
		return c, fmt.Errorf("%w: %w", errConfig, err)
	}
	if c.SecretsKeyFile != "" {
		kp, err := loadSecretsKey(c.SecretsKeyFile)
		if err != nil {
			return c, fmt.Errorf("%w: %w", errConfig, err)
		}
		c.SecretsKey = kp
	}
	if c.SigningKeyFile != "" {
		kp, err := loadSigningKey(c.SigningKeyFile)
		if err != nil {
			return c, fmt.Errorf("%w: %w", errConfig, err)
		}
		c.SigningKey = kp
	}
	if err := c.checkSigning(); err != nil {
		return c, fmt.Errorf("%w: %w", errConfig, err)
	}
	if err := c.loadUIToken(); err != nil {
		return c, fmt.Errorf("%w: %w", errConfig, err)
	}
	return c, nil
}

// checkSigning refuses a configuration whose reaper would queue jobs its executors refuse:
// with trusted_signers, the reaper needs signing_key_file, and that key must be trusted (by
// every executor; this one checks itself).
func (c *config) checkSigning() error {
	if len(c.TrustedSigners) == 0 || c.ReaperInterval <= 0 {
		return nil
	}
	if c.SigningKey == nil {
		return errors.New("reaper.interval is set and trusted_signers makes executors run only signed jobs, but signing_key_file is not set: the reaper's jobs would be refused; create a key with `sindri-executor keygen -signing`, set signing_key_file to it and add its public key to trusted_signers")
	}
	pub, err := c.SigningKey.PublicKey()
	if err != nil {
		return fmt.Errorf("signing_key_file %s: %w", c.SigningKeyFile, err)
	}
	if !slices.Contains(c.TrustedSigners, pub) {
		return fmt.Errorf("signing_key_file %s: its public key %s is not in trusted_signers: the reaper's jobs would be refused; add it to trusted_signers on every executor", c.SigningKeyFile, pub)
	}
	return nil
}

// lookup treats an empty variable as unset, the way a blank line in a unit file is meant.
func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

func (c *config) validate() error {
	var errs []error
	if c.NATSURL == "" {
		errs = append(errs, errors.New("nats url is empty"))
	}
	if c.NATSCreds != "" && c.NATSNKey != "" {
		errs = append(errs, errors.New("nats creds and nkey are exclusive: set one"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("nats tls cert and key must be set together"))
	}
	if c.LeaseTTL < time.Second {
		errs = append(errs, fmt.Errorf("lease_ttl %s is below 1s", c.LeaseTTL))
	}
	return errors.Join(errs...)
}

// HCL file shape. Every attribute is optional; absent keeps the lower-precedence value.
type fileConfig struct {
	NATS           *fileNATS      `hcl:"nats,block"`
	Concurrency    *string        `hcl:"concurrency,optional"`
	Providers      []string       `hcl:"providers,optional"`
	AllowedRepos   []string       `hcl:"allowed_repos,optional"`
	TrustedSigners []string       `hcl:"trusted_signers,optional"`
	Reaper         *fileReaper    `hcl:"reaper,block"`
	UI             *fileUI        `hcl:"ui,block"`
	MetricsListen  *string        `hcl:"metrics_listen,optional"`
	DrainTimeout   *string        `hcl:"drain_timeout,optional"`
	LeaseTTL       *string        `hcl:"lease_ttl,optional"`
	AckWait        *string        `hcl:"ack_wait,optional"`
	MaxDeliver     *string        `hcl:"max_deliver,optional"`
	Replicas       *string        `hcl:"stream_replicas,optional"`
	EventsMaxAge   *string        `hcl:"events_max_age,optional"`
	EventsMaxBytes *string        `hcl:"events_max_bytes,optional"`
	JobsDupWindow  *string        `hcl:"jobs_duplicate_window,optional"`
	LogLevel       *string        `hcl:"log_level,optional"`
	SecretsKey     *string        `hcl:"secrets_key_file,optional"`
	SigningKey     *string        `hcl:"signing_key_file,optional"`
	Provider       []fileProvider `hcl:"provider,block"`
	Cost           *fileCost      `hcl:"cost,block"`
}

type fileNATS struct {
	URL   *string  `hcl:"url,optional"`
	Creds *string  `hcl:"creds,optional"`
	NKey  *string  `hcl:"nkey,optional"`
	TLS   *fileTLS `hcl:"tls,block"`
}

type fileTLS struct {
	CA   *string `hcl:"ca,optional"`
	Cert *string `hcl:"cert,optional"`
	Key  *string `hcl:"key,optional"`
}

type fileUI struct {
	Listen    *string `hcl:"listen,optional"`
	TokenFile *string `hcl:"token_file,optional"`
}

type fileReaper struct {
	Interval   *string `hcl:"interval,optional"`
	DefaultTTL *string `hcl:"default_ttl,optional"`
}

// applyHCL decodes the file and applies each present attribute through the settings table, so
// value checks are the same as for env vars and flags; their errors carry file:line:col.
func applyHCL(c *config, filename string, src []byte, table []setting) error {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return fmt.Errorf("%w: %w", errConfig, diags)
	}
	var fc fileConfig
	if diags := gohcl.DecodeBody(f.Body, nil, &fc); diags.HasErrors() {
		return fmt.Errorf("%w: %w", errConfig, diags)
	}
	var errs []error
	blocks, err := providerBlocks(filename, fc.Provider)
	if err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", errConfig, err))
	}
	c.ProviderBlocks = blocks
	where := func(attr string) string { return attrPos(f.Body.(*hclsyntax.Body), attr, filename) }
	if c.CostPrices, c.CostPolicy, err = costFromFile(where, fc.Cost); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", errConfig, err))
	}
	if fc.Cost != nil && fc.Cost.IdleStop != nil {
		d, err := time.ParseDuration(*fc.Cost.IdleStop)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("%w: %s: cost.idle_stop: %q is not a duration like \"2h\" (0 disables)", errConfig, where("cost.idle_stop"), *fc.Cost.IdleStop))
		}
		c.IdleStop = d
	}
	repos, warns, err := repoIdle(func(pattern string) string { return repoIdlePos(f.Body.(*hclsyntax.Body), filename, pattern) }, fc.Cost, c.IdleStop)
	if err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", errConfig, err))
	}
	c.CostIdle, c.Warnings = cost.Idle{Executor: c.IdleStop, Repos: repos}, append(c.Warnings, warns...)
	values := map[string]string{}
	put := func(k string, v *string) {
		if v != nil {
			values[k] = *v
		}
	}
	put("concurrency", fc.Concurrency)
	put("metrics_listen", fc.MetricsListen)
	put("drain_timeout", fc.DrainTimeout)
	put("lease_ttl", fc.LeaseTTL)
	put("ack_wait", fc.AckWait)
	put("max_deliver", fc.MaxDeliver)
	put("stream_replicas", fc.Replicas)
	put("events_max_age", fc.EventsMaxAge)
	put("events_max_bytes", fc.EventsMaxBytes)
	put("jobs_duplicate_window", fc.JobsDupWindow)
	put("log_level", fc.LogLevel)
	put("secrets_key_file", fc.SecretsKey)
	put("signing_key_file", fc.SigningKey)
	if fc.Providers != nil {
		values["providers"] = strings.Join(fc.Providers, ",")
	}
	if fc.AllowedRepos != nil {
		values["allowed_repos"] = strings.Join(fc.AllowedRepos, ",")
	}
	if fc.TrustedSigners != nil {
		values["trusted_signers"] = strings.Join(fc.TrustedSigners, ",")
	}
	if n := fc.NATS; n != nil {
		put("nats.url", n.URL)
		put("nats.creds", n.Creds)
		put("nats.nkey", n.NKey)
		if t := n.TLS; t != nil {
			put("nats.tls.ca", t.CA)
			put("nats.tls.cert", t.Cert)
			put("nats.tls.key", t.Key)
		}
	}
	if u := fc.UI; u != nil {
		put("ui.listen", u.Listen)
		put("ui.token_file", u.TokenFile)
	}
	if r := fc.Reaper; r != nil {
		put("reaper.interval", r.Interval)
		put("reaper.default_ttl", r.DefaultTTL)
	}
	body := f.Body.(*hclsyntax.Body)
	for _, s := range table {
		v, ok := values[s.hclPath]
		if !ok {
			continue
		}
		if err := s.set(c, v); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %s: %w", errConfig, attrPos(body, s.hclPath, filename), s.hclPath, err))
		}
	}
	return errors.Join(errs...)
}

// attrPos returns "file:line:col" of the attribute at a dotted path ("nats.tls.ca").
func attrPos(body *hclsyntax.Body, path, filename string) string {
	parts := strings.Split(path, ".")
	for _, blk := range parts[:len(parts)-1] {
		var next *hclsyntax.Body
		for _, b := range body.Blocks {
			if b.Type == blk {
				next = b.Body
				break
			}
		}
		if next == nil {
			return filename
		}
		body = next
	}
	a, ok := body.Attributes[parts[len(parts)-1]]
	if !ok {
		return filename
	}
	return pos(a.Expr.Range())
}
