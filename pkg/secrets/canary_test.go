package secrets

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/config"
)

// TestCanaryNeverLeaks resolves a canary through every source and renders the results, the
// warnings and the errors every way a log or event could, checking that the canary never shows.
func TestCanaryNeverLeaks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, ".env.local", "CANARY_LOCAL='"+canary+"-local'\n")
	writeFile(t, dir, ".env", "export CANARY_DOT='"+canary+"-dot'\n")
	writeFile(t, dir, "keys/from.txt", canary+"-fromfile\n")
	writeFile(t, dir, "certs/key.pem", canary+"-file")
	fv := newFakeVault(t, canaryToken, "")
	fv.put("secret/app", map[string]any{"pw": canary + "-vault"})

	r := newResolver(t, ResolverConfig{
		ConfigDir: dir, AllowedRoots: []string{}, HTTPClient: fv.srv.Client(), Retry: fastRetry,
		LookupEnv: mapEnv(map[string]string{"CANARY_PROC": canary + "-proc"}),
		Vault:     VaultConfig{Addr: fv.srv.URL, Token: New(canaryToken)},
	})
	specs := []config.Secret{
		{Name: "CANARY_PROC", Source: "env", Required: true},
		{Name: "CANARY_LOCAL", Source: "env", Required: true},
		{Name: "CANARY_DOT", Source: "env", Required: true},
		{Name: "CANARY_FROM", Source: "env", FromFile: "keys/from.txt", Required: true},
		{Name: "CANARY_FILE", Source: "file", Path: "certs/key.pem", Permissions: "0600", Required: true},
		{Name: "CANARY_VAULT", Source: "vault", VaultPath: "secret/data/app", VaultKey: "pw", Required: true},
		{Name: "CANARY_MISSING", Source: "env"},
	}
	res, err := r.Resolve(context.Background(), specs)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	want := map[string]string{"CANARY_PROC": "-proc", "CANARY_LOCAL": "-local", "CANARY_DOT": "-dot",
		"CANARY_FROM": "-fromfile", "CANARY_FILE": "-file", "CANARY_VAULT": "-vault"}
	for name, suffix := range want {
		if got := valueOf(t, res, name).Value.Reveal(); got != canary+suffix {
			t.Errorf("%s did not resolve to the canary%s", name, suffix)
		}
	}
	if len(res.Warnings) != 2 { // the stripped vault prefix and the missing optional secret
		t.Errorf("warnings = %v", res.Warnings)
	}

	// Failures whose inputs contain the canary: a malformed env line, a 403 whose body holds it,
	// a non-string Vault field holding it, and a wrong token.
	badDir := t.TempDir()
	writeFile(t, badDir, ".env", canary+"\n")
	badVault := newFakeVault(t, "another-token", "")
	badVault.put("secret/obj", map[string]any{"k": []any{canary}})
	bad := newResolver(t, ResolverConfig{ConfigDir: badDir, AllowedRoots: []string{}, HTTPClient: badVault.srv.Client(),
		Retry: fastRetry, Vault: VaultConfig{Addr: badVault.srv.URL, Token: New(canaryToken)}})
	badRes, badErr := bad.Resolve(context.Background(), []config.Secret{
		{Name: "FROM_BAD_ENV", Source: "env", Required: true},
		{Name: "FORBIDDEN", Source: "vault", VaultPath: "obj", VaultKey: "k", Required: true},
		{Name: "FORBIDDEN_OPT", Source: "vault", VaultPath: "obj", VaultKey: "k"},
	})
	if badErr == nil || !errors.Is(badErr, ErrMalformedEnvFile) || !errors.Is(badErr, ErrPermissionDenied) {
		t.Fatalf("bad resolve err = %v", badErr)
	}
	badVault.token = canaryToken
	_, objErr := bad.Resolve(context.Background(), []config.Secret{{Name: "OBJ", Source: "vault", VaultPath: "obj", VaultKey: "k", Required: true}})
	if !errors.Is(objErr, ErrInvalidResponse) {
		t.Fatalf("object field err = %v", objErr)
	}

	var outputs []string
	add := func(label string, s string) { outputs = append(outputs, label+"\x00"+s) }
	things := map[string]any{
		"result": res, "*result": *res, "secrets": res.Secrets, "warnings": res.Warnings,
		"provider secrets": res.ProviderSecrets(), "values": res.Values(), "bad result": badRes,
		"errors": []error{badErr, objErr},
	}
	for name, v := range things {
		for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			add(name+" "+format, fmt.Sprintf(format, v))
		}
		js, err := json.Marshal(v)
		if err == nil {
			add(name+" json", string(js))
		}
	}
	for _, e := range []error{badErr, objErr} {
		add("error", e.Error())
	}
	var zl bytes.Buffer
	log := zerolog.New(&zl)
	for _, s := range res.Secrets {
		log.Info().Object("secret", s).Interface("value", s.Value).Stringer("str", s.Value).Msg("resolved")
	}
	log.Info().Interface("result", res).Any("secrets", res.Secrets).Msg("all")
	for _, w := range append(res.Warnings, badRes.Warnings...) {
		log.Warn().Object("warning", w).Msg(w.String())
	}
	log.Error().Err(badErr).Msg("failed")
	add("zerolog", zl.String())
	var sl bytes.Buffer
	slog.New(slog.NewJSONHandler(&sl, nil)).Info("resolved", "result", res, "err", badErr)
	add("slog", sl.String())

	// Text that contains the values outright goes through the Redactor.
	var raw strings.Builder
	for _, s := range res.Secrets {
		v := s.Value.Reveal()
		js, _ := json.Marshal(v)
		fmt.Fprintf(&raw, "%s=%s json=%s b64=%s\n", s.Name, v, js, base64.StdEncoding.EncodeToString([]byte(v)))
	}
	red := res.Redactor()
	add("redactor", red.Redact(raw.String()))
	var streamed bytes.Buffer
	w := red.Writer(&streamed)
	_, _ = w.Write([]byte(raw.String()))
	_ = w.Close()
	add("redacting writer", streamed.String())

	for _, o := range outputs {
		label, out, _ := strings.Cut(o, "\x00")
		mustNotLeak(t, label, out)
	}
	if !strings.Contains(red.Redact(raw.String()), "CANARY_FILE=[redacted]") {
		t.Error("redactor output lacks the marker")
	}
}
