package secrets

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/internal/excerpt"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Defaults for file secrets.
const (
	// DefaultPermissions is the mode of a file secret that declares none.
	DefaultPermissions = config.DefaultSecretPermissions
	// DefaultMountDir is where a file secret without mountPath goes: /secrets/<basename>.
	DefaultMountDir = "/secrets"
	// DefaultMaxFileSize bounds files read for file and fromFile secrets and .env files.
	DefaultMaxFileSize int64 = 1 << 20
)

// Env file names looked up in the config directory, highest precedence first.
const (
	// EnvLocalFile is consulted right after the process environment.
	EnvLocalFile = ".env.local"
	// EnvFile is consulted after EnvLocalFile and before fromFile.
	EnvFile = ".env"
)

// DefaultAllowedRoots returns upstream's list of the directories outside the config directory
// from which file secrets may be read. It is not applied by default: pass it as
// ResolverConfig.AllowedRoots to restore upstream's behaviour.
func DefaultAllowedRoots() []string {
	return []string{"/etc/ssl", "/etc/secrets", "/tmp", "/var/secrets"}
}

// ResolverConfig is everything a Resolver reads. The package reads no environment variables:
// the caller (a cmd/* main) passes lookups and settings in.
type ResolverConfig struct {
	// ConfigDir is the directory of sindri.yaml. Relative paths, .env.local and .env are taken
	// from it. Required; it must exist.
	ConfigDir string
	// Root is the directory every file read (.env files, fromFile, file secrets) must resolve
	// into, symlinks followed: the workspace. Empty means ConfigDir. It must exist.
	Root string
	// LookupEnv looks up process environment variables: env secrets by name, and $VAR in paths
	// for a VAR declared as an env secret. Nil means an empty environment (os.LookupEnv is never
	// used implicitly).
	LookupEnv func(string) (string, bool)
	// HomeDir replaces a leading "~", and $HOME, in fromFile and file paths. Empty makes them
	// an error.
	HomeDir string
	// AllowedRoots are absolute directories, besides Root, that file and fromFile paths may
	// resolve into: the operator's opt-out for secrets kept in files on the host (upstream
	// allowed DefaultAllowedRoots()). Nil or empty allows only Root; the .env files are always
	// confined to Root.
	AllowedRoots []string
	// Vault reaches HashiCorp Vault for vault secrets.
	Vault VaultConfig
	// HTTPClient carries Vault requests (set TLS options on it). Nil means a new http.Client.
	HTTPClient *http.Client
	// Retry is the backoff for transient Vault failures.
	Retry RetryPolicy
	// MaxFileSize bounds every file read; 0 means DefaultMaxFileSize.
	MaxFileSize int64
}

// Resolver resolves declared secrets into values (contract §1.5.2). It is safe for concurrent
// use; each Resolve call reads the .env files and Vault afresh.
type Resolver struct {
	paths       *pathPolicy
	lookup      func(string) (string, bool)
	vault       *vaultClient // nil when Vault is not configured
	vaultReason string       // why vault is nil
}

// NewResolver checks cfg and returns a Resolver. It returns an error wrapping ErrInvalidConfig
// when ConfigDir is missing or not a directory, an allowed root is relative, or Vault.Addr is
// not an http(s) URL.
func NewResolver(cfg ResolverConfig) (*Resolver, error) {
	p, err := newPathPolicy(&cfg)
	if err != nil {
		return nil, err
	}
	r := &Resolver{paths: p, lookup: p.lookup}
	switch {
	case cfg.Vault.Addr == "":
		r.vaultReason = "no Vault address is set (VAULT_ADDR)"
	case cfg.Vault.Token.IsEmpty():
		r.vaultReason = "no Vault token is set (VAULT_TOKEN)"
	}
	if cfg.Vault.Addr != "" {
		u, err := url.Parse(cfg.Vault.Addr)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: vault address must be an http(s) URL", ErrInvalidConfig)
		}
		if r.vaultReason == "" {
			hc := cfg.HTTPClient
			if hc == nil {
				hc = &http.Client{}
			}
			timeout := cfg.Vault.Timeout
			if timeout <= 0 {
				timeout = DefaultVaultTimeout
			}
			r.vault = &vaultClient{base: u, token: cfg.Vault.Token, ns: cfg.Vault.Namespace,
				timeout: timeout, http: hc, retry: cfg.Retry.withDefaults()}
		}
	}
	return r, nil
}

// Resolved is one resolved secret.
type Resolved struct {
	// Name is the environment variable name.
	Name string
	// Value is the content (raw bytes for file secrets).
	Value Value
	// Source is the declared source.
	Source config.SecretSource
	// Origin says where the value was found, for diagnostics: "process environment", an env
	// file path, "fromFile <path>", "file <path>" or "vault <mount>/<path>#<key>". It never holds
	// the value.
	Origin string
	// MountPath is set for file secrets: where the file goes in the environment.
	MountPath string
	// Permissions is set for file secrets: a four-digit octal mode such as "0600".
	Permissions string
}

// IsFile reports whether r is a file secret (delivered as a file, not an env var).
func (r Resolved) IsFile() bool { return r.Source == config.SecretSourceFile }

// FileMode returns Permissions as a file mode (0 when r is not a file secret).
func (r Resolved) FileMode() fs.FileMode {
	m, _ := strconv.ParseUint(r.Permissions, 8, 32)
	return fs.FileMode(m) & fs.ModePerm
}

// Warning is something Resolve did not treat as fatal but the user must see: an optional
// secret that could not be resolved (Err says why), or a fix applied to a declaration.
type Warning struct {
	// Secret is the name of the secret concerned.
	Secret string
	// Message says what happened.
	Message string
	// Err is the cause for a skipped secret (it wraps a sentinel), nil for a notice.
	Err error
}

// String renders the warning for a log line.
func (w Warning) String() string {
	s := "secret " + w.Secret + ": " + w.Message
	if w.Err != nil {
		s += ": " + w.Err.Error()
	}
	return s
}

// Result is the outcome of Resolve.
type Result struct {
	// Secrets are the resolved secrets in declaration order.
	Secrets []Resolved
	// Warnings list skipped optional secrets and applied fixes, in declaration order.
	Warnings []Warning
}

// Lookup returns the resolved secret called name.
func (r *Result) Lookup(name string) (Resolved, bool) {
	if r == nil {
		return Resolved{}, false
	}
	for _, s := range r.Secrets {
		if s.Name == name {
			return s, true
		}
	}
	return Resolved{}, false
}

// Values returns the values of all resolved secrets, e.g. for NewRedactor.
func (r *Result) Values() []Value {
	if r == nil {
		return nil
	}
	out := make([]Value, len(r.Secrets))
	for i, s := range r.Secrets {
		out[i] = s.Value
	}
	return out
}

// Redactor returns a Redactor for every resolved value.
func (r *Result) Redactor() *Redactor { return NewRedactor(r.Values()...) }

// Resolve resolves specs in order. It returns the Result and, when any required secret failed
// or any declaration is invalid or duplicated, a *ResolutionError listing every such secret with
// its reason (errors.Is finds ErrNotFound, ErrPathNotAllowed, ErrPermissionDenied,
// ErrUnavailable, ErrDuplicateName, ... through it). Failures of optional secrets are Warnings.
// The Result is returned with the error so that its warnings can still be shown. When ctx ends
// Resolve stops and returns ctx.Err() wrapped.
func (r *Resolver) Resolve(ctx context.Context, specs []config.Secret) (*Result, error) {
	res := &Result{}
	run := &resolveRun{r: r, envFiles: map[string]*envFileResult{}, vaultReads: map[string]*vaultResult{},
		declared: declaredEnv(specs)}
	var failures []*SecretError
	first := make(map[string]int, len(specs))
	for i, s := range specs {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("secrets: resolve: %w", err)
		}
		if err := validateDecl(s); err != nil {
			failures = append(failures, &SecretError{Name: s.Name, Source: s.Source, Err: err})
			continue
		}
		if j, dup := first[s.Name]; dup {
			failures = append(failures, &SecretError{Name: s.Name, Source: s.Source,
				Err: fmt.Errorf("%w: entries %d and %d of secrets", ErrDuplicateName, j+1, i+1)})
			continue
		}
		first[s.Name] = i
		got, warns, err := run.one(ctx, s)
		res.Warnings = append(res.Warnings, warns...)
		if err != nil {
			if ctx.Err() != nil {
				return res, fmt.Errorf("secrets: resolve %s: %w", s.Name, ctx.Err())
			}
			if s.Required || errors.Is(err, ErrInvalidSecret) {
				failures = append(failures, &SecretError{Name: s.Name, Source: s.Source, Err: err})
			} else {
				res.Warnings = append(res.Warnings, Warning{Secret: s.Name, Message: "optional secret skipped", Err: err})
			}
			continue
		}
		if n := got.Value.Len(); n > 0 && n < MinRedactLength {
			res.Warnings = append(res.Warnings, Warning{Secret: s.Name,
				Message: fmt.Sprintf("value is shorter than %d bytes, too short to be redacted from logs", MinRedactLength)})
		}
		res.Secrets = append(res.Secrets, got)
	}
	if len(failures) > 0 {
		return res, &ResolutionError{Failures: failures}
	}
	return res, nil
}

// validateDecl checks what does not depend on the outside world.
func validateDecl(s config.Secret) error {
	if !validEnvKey(s.Name) {
		return fmt.Errorf("%w: name %s is not a valid environment variable name", ErrInvalidSecret, excerpt.Quote(s.Name))
	}
	switch s.Source {
	case config.SecretSourceEnv, config.SecretSourceS3:
	case config.SecretSourceFile:
		if s.Path == "" {
			return fmt.Errorf("%w: file source needs path", ErrInvalidSecret)
		}
		if _, err := normalizePermissions(s.Permissions); err != nil {
			return err
		}
		if s.MountPath != "" {
			if !path.IsAbs(s.MountPath) || path.Clean(s.MountPath) != s.MountPath {
				return fmt.Errorf("%w: mountPath %s must be an absolute, clean path", ErrInvalidSecret, excerpt.Path(s.MountPath))
			}
		}
	case config.SecretSourceVault:
		if s.VaultPath == "" || s.VaultKey == "" {
			return fmt.Errorf("%w: vault source needs vaultPath and vaultKey", ErrInvalidSecret)
		}
		if _, _, _, err := normalizeVaultPath(s.VaultMount, s.VaultPath); err != nil {
			return err
		}
	case "":
		return fmt.Errorf("%w: source is missing (env, file or vault)", ErrInvalidSecret)
	default:
		return fmt.Errorf("%w: unknown source %s (env, file or vault)", ErrInvalidSecret, excerpt.Quote(string(s.Source)))
	}
	return nil
}

// normalizePermissions accepts "0600", "600" and "" (DefaultPermissions) and returns the
// four-digit form.
func normalizePermissions(p string) (string, error) {
	if p == "" {
		return DefaultPermissions, nil
	}
	digits := strings.TrimPrefix(p, "0")
	if len(digits) != 3 || strings.Trim(digits, "01234567") != "" {
		return "", fmt.Errorf("%w: permissions %s must be an octal mode such as 0600", ErrInvalidSecret, excerpt.Quote(p))
	}
	return "0" + digits, nil
}

// resolveRun caches env files and Vault reads for one Resolve call.
type resolveRun struct {
	r          *Resolver
	envFiles   map[string]*envFileResult
	vaultReads map[string]*vaultResult
	// declared are the names of the env secrets: the only variables expanded in paths.
	declared map[string]bool
}

// declaredEnv returns the names of the env secrets among specs.
func declaredEnv(specs []config.Secret) map[string]bool {
	out := map[string]bool{}
	for _, s := range specs {
		if s.Source == config.SecretSourceEnv && validEnvKey(s.Name) {
			out[s.Name] = true
		}
	}
	return out
}

type envFileResult struct {
	vars map[string]string
	path string
	err  error
}

type vaultResult struct {
	data kvData
	err  error
}

func (run *resolveRun) one(ctx context.Context, s config.Secret) (Resolved, []Warning, error) {
	switch s.Source {
	case config.SecretSourceEnv:
		return run.env(s)
	case config.SecretSourceFile:
		return run.file(s)
	case config.SecretSourceVault:
		return run.vaultSecret(ctx, s)
	case config.SecretSourceS3:
		return Resolved{}, nil, ErrUnsupportedSource
	}
	return Resolved{}, nil, fmt.Errorf("%w: unknown source %s", ErrInvalidSecret, excerpt.Quote(string(s.Source)))
}

// env: process environment, then .env.local, then .env, then fromFile; first non-empty wins.
// Empty values count as unset, so an unset GitHub Actions secret (which arrives as "") falls
// through to the files.
func (run *resolveRun) env(s config.Secret) (Resolved, []Warning, error) {
	out := Resolved{Name: s.Name, Source: s.Source}
	if v, ok := run.r.lookup(s.Name); ok && v != "" {
		out.Value, out.Origin = New(v), "process environment"
		return out, nil, nil
	}
	for _, name := range []string{EnvLocalFile, EnvFile} {
		f := run.envFile(name)
		if f.err != nil {
			return out, nil, f.err
		}
		if v := f.vars[s.Name]; v != "" {
			out.Value, out.Origin = New(v), f.path
			return out, nil, nil
		}
	}
	if s.FromFile != "" {
		b, _, err := run.r.paths.read("fromFile", s.FromFile, run.declared)
		if err != nil {
			return out, nil, fmt.Errorf("not set in the environment or env files; %w", err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return out, nil, fmt.Errorf("not set in the environment or env files; fromFile %s is empty: %w", excerpt.Path(s.FromFile), ErrNotFound)
		}
		out.Value, out.Origin = New(v), "fromFile "+excerpt.StringN(s.FromFile, excerpt.MaxPathRunes)
		return out, nil, nil
	}
	return out, nil, fmt.Errorf("not set in the process environment, %s or %s: %w",
		filepath.Join(run.r.paths.configDir, EnvLocalFile), filepath.Join(run.r.paths.configDir, EnvFile), ErrNotFound)
}

// envFile loads <configdir>/<name> once per run. A missing file is empty, not an error.
func (run *resolveRun) envFile(name string) *envFileResult {
	if f, ok := run.envFiles[name]; ok {
		return f
	}
	p := filepath.Join(run.r.paths.configDir, name)
	f := &envFileResult{path: p}
	run.envFiles[name] = f
	b, ok, err := run.r.paths.readEnvFile(name)
	if err != nil {
		f.err = fmt.Errorf("env file %w", err)
	}
	if ok {
		f.vars, f.err = parseEnvBytes(p, b)
	}
	return f
}

func (run *resolveRun) file(s config.Secret) (Resolved, []Warning, error) {
	perm, _ := normalizePermissions(s.Permissions) // validated
	out := Resolved{Name: s.Name, Source: s.Source, MountPath: s.MountPath, Permissions: perm}
	b, abs, err := run.r.paths.read("path", s.Path, run.declared)
	if out.MountPath == "" && abs != "" {
		out.MountPath = path.Join(DefaultMountDir, filepath.Base(abs))
	}
	if err != nil {
		return out, nil, err
	}
	out.Value, out.Origin = New(string(b)), "file "+excerpt.StringN(s.Path, excerpt.MaxPathRunes)
	return out, nil, nil
}

func (run *resolveRun) vaultSecret(ctx context.Context, s config.Secret) (Resolved, []Warning, error) {
	out := Resolved{Name: s.Name, Source: s.Source}
	mount, p, stripped, err := normalizeVaultPath(s.VaultMount, s.VaultPath)
	if err != nil {
		return out, nil, err
	}
	var warns []Warning
	if stripped {
		warns = append(warns, Warning{Secret: s.Name,
			Message: fmt.Sprintf("%s (reading %s/%s)", vaultPathFix, mount, p)})
	}
	if run.r.vault == nil {
		return out, warns, fmt.Errorf("%w: %s", ErrVaultNotConfigured, run.r.vaultReason)
	}
	key := mount + "\x00" + p
	vr, ok := run.vaultReads[key]
	if !ok {
		data, err := run.r.vault.read(ctx, mount, p)
		vr = &vaultResult{data: data, err: err}
		if ctx.Err() == nil {
			run.vaultReads[key] = vr
		}
	}
	if vr.err != nil {
		return out, warns, vr.err
	}
	v, err := vr.data.field(s.VaultKey)
	if err == nil && v == "" {
		err = fmt.Errorf("key %s is empty: %w", excerpt.Quote(s.VaultKey), ErrNotFound)
	}
	if err != nil {
		return out, warns, &VaultError{Mount: mount, Path: p, Err: err}
	}
	out.Value, out.Origin = New(v), fmt.Sprintf("vault %s/%s#%s", mount, p, s.VaultKey)
	return out, warns, nil
}

// ProviderSecrets converts the resolved secrets into the form providers receive in Spec.Secrets.
func (r *Result) ProviderSecrets() []providers.SecretValue {
	if r == nil {
		return nil
	}
	out := make([]providers.SecretValue, len(r.Secrets))
	for i, s := range r.Secrets {
		out[i] = providers.SecretValue{Name: s.Name, Value: s.Value, MountPath: s.MountPath, Permissions: s.Permissions}
	}
	return out
}
