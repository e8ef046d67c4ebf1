package secrets

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
)

// Sentinel errors for branching with errors.Is. Errors returned by this package wrap them with
// context that names secrets, files and Vault paths, never values or tokens.
var (
	// ErrNotFound: the secret has no value in any of its sources, or the file, Vault secret or
	// Vault key does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalidSecret: the declaration is unusable (bad name, missing path, bad permissions,
	// unknown source). Such errors are reported whether or not the secret is required.
	ErrInvalidSecret = errors.New("invalid secret declaration")
	// ErrDuplicateName: two secrets declare the same name.
	ErrDuplicateName = errors.New("duplicate secret name")
	// ErrPathNotAllowed: a file path resolves (after "..", "~" and symlinks) outside the
	// workspace (ResolverConfig.Root) and the allowed roots.
	ErrPathNotAllowed = errors.New("path outside the workspace and allowed roots")
	// ErrMalformedEnvFile: a .env or .env.local file has a line that is not KEY=VALUE.
	ErrMalformedEnvFile = errors.New("malformed env file")
	// ErrUnsupportedSource: the source is declared but not implemented (s3).
	ErrUnsupportedSource = errors.New("s3 secret source is not supported; use env, file or vault")
	// ErrVaultNotConfigured: a vault secret was declared but no Vault address or token is set.
	ErrVaultNotConfigured = errors.New("vault is not configured")
	// ErrPermissionDenied: Vault answered 403 for the path (permanent).
	ErrPermissionDenied = errors.New("permission denied")
	// ErrUnavailable: Vault could not be reached or kept answering 429/5xx after all retries
	// (transient: a later attempt may succeed).
	ErrUnavailable = errors.New("secret backend unavailable")
	// ErrInvalidResponse: Vault answered with something that is not a KV v2 read, or the key is
	// not a string.
	ErrInvalidResponse = errors.New("invalid response from secret backend")
	// ErrInvalidConfig: the ResolverConfig cannot be used.
	ErrInvalidConfig = errors.New("invalid resolver configuration")
)

// SecretError is the failure of one secret.
type SecretError struct {
	// Name and Source are the secret's declared name and source.
	Name   string
	Source config.SecretSource
	// Err wraps one of the sentinels above.
	Err error
}

// Error implements error.
func (e *SecretError) Error() string {
	return fmt.Sprintf("secret %s (%s): %v", e.Name, sourceLabel(e.Source), e.Err)
}

// Unwrap returns the cause.
func (e *SecretError) Unwrap() error { return e.Err }

// ResolutionError lists every failed required (or invalidly declared) secret of one Resolve call.
// errors.Is and errors.As see through it to each SecretError and its sentinel.
type ResolutionError struct {
	Failures []*SecretError
}

// Error implements error.
func (e *ResolutionError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "secret resolution failed for %d secret(s): ", len(e.Failures))
	for i, f := range e.Failures {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Error())
	}
	return b.String()
}

// Unwrap returns the individual failures.
func (e *ResolutionError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f
	}
	return errs
}

// EnvFileError locates a malformed line of a .env file. It never carries the line's text, which
// may hold a secret.
type EnvFileError struct {
	// File is the path of the env file, Line the 1-based line number.
	File string
	Line int
	// Reason says what is wrong with the line.
	Reason string
}

// Error implements error.
func (e *EnvFileError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// Unwrap returns ErrMalformedEnvFile.
func (e *EnvFileError) Unwrap() error { return ErrMalformedEnvFile }

// VaultError is a failed Vault read. It names the mount and path, never the token or any data.
type VaultError struct {
	// Mount and Path locate the KV v2 secret (after normalisation).
	Mount string
	Path  string
	// Status is the HTTP status of the last answer, 0 when none arrived or the answer was read.
	Status int
	// Attempts is how many requests were made.
	Attempts int
	// Err wraps the sentinel: ErrNotFound, ErrPermissionDenied, ErrUnavailable,
	// ErrInvalidResponse, or the context's error.
	Err error
}

// Error implements error.
func (e *VaultError) Error() string {
	s := fmt.Sprintf("vault: read %s/%s", e.Mount, e.Path)
	if e.Status != 0 {
		s += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *VaultError) Unwrap() error { return e.Err }

func sourceLabel(s config.SecretSource) string {
	if s == "" {
		return "no source"
	}
	return string(s)
}
