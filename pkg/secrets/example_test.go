package secrets_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

func ExampleNew() {
	token := secrets.New("ghp_example_token_value")
	js, _ := json.Marshal(map[string]any{"token": token})
	fmt.Println(token)
	fmt.Printf("%+v %q\n", struct{ Token secrets.Value }{token}, token)
	fmt.Println(string(js))
	fmt.Println(len(token.Reveal()))
	// Output:
	// [redacted]
	// {Token:[redacted]} "[redacted]"
	// {"token":"[redacted]"}
	// 23
}

func ExampleRedactor() {
	r := secrets.NewRedactor(secrets.New("hunter2-password"))
	fmt.Println(r.Redact("login with hunter2-password"))
	fmt.Println(r.Redact(`{"password":"hunter2-password"}`))
	fmt.Println(r.Redact("Authorization: Basic dXNlcjpodW50ZXIyLXBhc3N3b3Jk")) // base64("user:hunter2-password")

	w := r.Writer(os.Stdout)
	fmt.Fprint(w, "streamed hunter2-")
	fmt.Fprint(w, "password too\n")
	w.Close()
	// Output:
	// login with [redacted]
	// {"password":"[redacted]"}
	// Authorization: Basic dXNlcjp[redacted]
	// streamed [redacted] too
}

func ExampleResolver_Resolve() {
	dir, _ := os.MkdirTemp("", "sindri-example-")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, ".env"), []byte("# local defaults\nNPM_TOKEN=npm_from_dotenv\n"), 0o600)

	// cmd/* passes the real environment (os.LookupEnv, os.UserHomeDir, VAULT_*); the package
	// never reads it itself.
	env := map[string]string{"GITHUB_TOKEN": "ghp_from_process_env"}
	r, err := secrets.NewResolver(secrets.ResolverConfig{
		ConfigDir: dir,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := r.Resolve(context.Background(), []config.Secret{
		{Name: "GITHUB_TOKEN", Source: config.SecretSourceEnv, Required: true},
		{Name: "NPM_TOKEN", Source: config.SecretSourceEnv},
		{Name: "SENTRY_DSN", Source: config.SecretSourceEnv},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range res.Secrets {
		fmt.Printf("%s = %v (%d bytes)\n", s.Name, s.Value, s.Value.Len())
	}
	for _, w := range res.Warnings {
		fmt.Println("warning:", w.Secret, w.Message)
	}
	// Output:
	// GITHUB_TOKEN = [redacted] (20 bytes)
	// NPM_TOKEN = [redacted] (15 bytes)
	// warning: SENTRY_DSN optional secret skipped
}
