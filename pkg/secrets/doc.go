// Package secrets resolves the secrets declared in sindri.yaml (contract §1.5) and keeps their
// values out of every log, event, error and test output.
//
// A resolved value is a [Value]: every fmt verb, JSON, text, YAML, slog and zerolog rendering of
// it prints [Redacted]; only [Value.Reveal] gives the content, and providers call it at the
// point of delivery.
//
// A [Resolver] reads the sources of the contract from an explicit [ResolverConfig]; the package
// never reads the process environment itself (cmd/* passes os.LookupEnv, the home directory and
// [VaultFromEnv]'s result):
//
//   - env: the process environment, then <configdir>/.env.local, then <configdir>/.env, then
//     fromFile (trimmed, relative to the config directory). Empty values count as unset.
//   - file: raw bytes of a file; delivered at mountPath (default /secrets/<basename>) with
//     permissions (default 0644).
//
// Every file is read through confine.ReadFile: it must resolve, symlinks included, into
// ResolverConfig.Root (the workspace) or, for fromFile and file paths, an allowed root, and be
// a regular file of at most MaxFileSize bytes. In fromFile and file paths only "~", $HOME and
// the names of env secrets declared alongside are expanded; errors name the variable and quote
// the path as written, never an expansion.
//   - vault: a HashiCorp Vault KV v2 read of vaultMount/vaultPath, field vaultKey, with retries
//     and backoff for 429, 5xx and timeouts.
//   - s3: refused with [ErrUnsupportedSource].
//
// [Resolver.Resolve] returns a [Result] (secrets plus warnings for optional secrets that were
// skipped) and a [*ResolutionError] naming every required secret that failed and why.
//
// A [Redactor] scrubs resolved values, and their base64, JSON-escaped and URL-escaped forms,
// from strings ([Redactor.Redact]) and byte streams ([Redactor.Writer]).
//
// [Seal] seals resolved secrets to an executor's public curve key (nkeys xkey) for the job's
// sealed_secrets field, bound to the job's id; [Open] opens them on the executor and refuses a
// box sealed to another key, altered, or copied from another job (docs/wire.md).
package secrets
