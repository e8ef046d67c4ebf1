// Package secrets resolves the secrets declared in sindri.yaml (contract §1.5) and keeps their
// values out of every log, event, error and test output.
//
// A resolved value is a [Value]: every fmt verb, JSON, text, slog and zerolog rendering of it
// prints [Redacted]; only [Value.Reveal] gives the content, and providers call it at the point of
// delivery. A [Resolver] reads the sources named in the contract (process environment,
// <configdir>/.env.local, <configdir>/.env, fromFile, confined files, HashiCorp Vault KV v2) from
// an explicit [ResolverConfig]: the package never reads the process environment itself. A
// [Redactor] scrubs resolved values, and their base64, JSON-escaped and URL-escaped forms, from
// free text and byte streams.
package secrets
