package action

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
	"github.com/sethvargo/go-githubactions"

	"github.com/sindri/deploy/v3/internal/testcerts"
	"github.com/sindri/deploy/v3/pkg/github"
)

// parse runs ParseInputs over inputs given by action.yml name, as the runner passes them.
func parse(t *testing.T, inputs map[string]string) (Inputs, error) {
	t.Helper()
	in, _, err := parseOut(inputs)
	return in, err
}

func parseOut(inputs map[string]string) (Inputs, string, error) {
	env := map[string]string{}
	for k, v := range inputs {
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	var out bytes.Buffer
	a := githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }), githubactions.WithWriter(&out))
	in, err := ParseInputs(a)
	return in, out.String(), err
}

func TestParseInputsDefaults(t *testing.T) {
	t.Parallel()
	in, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Inputs{Command: CommandAuto, Config: "sindri.yaml", Wait: true, Timeout: 30 * time.Minute, Comment: true,
		Deployment: true, ChatOpsPrefix: "/sindri", ChatOpsPermission: github.PermWrite, OnDraft: DraftIgnore}
	if in != want {
		t.Errorf("defaults = %+v\nwant %+v", in, want)
	}
}

func TestParseInputsAll(t *testing.T) {
	t.Parallel()
	in, err := parse(t, map[string]string{
		"command": "destroy", "config": "deploy/sindri.yaml", "provider": "fly", "environment": "pr-{pr}",
		"nats-url": "nats://a:4222,tls://b:4222", "nats-creds": "-----BEGIN NATS USER JWT-----\neyJhbGciOi\n------END NATS USER JWT------",
		"github-token": "ghs_x", "wait": "false", "timeout": "1h", "comment": "false", "deployment": "false",
		"chatops-prefix": "/preview", "chatops-permission": "maintain", "allow-forks": "true", "on-draft": "destroy", "dry-run": "true",
	})
	if err != nil {
		t.Fatal(err)
	}
	if in.Command != CommandDestroy || in.Provider != "fly" || in.Wait || in.Timeout != time.Hour || in.Comment ||
		in.Deployment || in.ChatOpsPrefix != "/preview" || in.ChatOpsPermission != github.PermMaintain || !in.AllowForks ||
		in.OnDraft != DraftDestroy || !in.DryRun || in.Environment != "pr-{pr}" || in.Config != "deploy/sindri.yaml" {
		t.Errorf("inputs = %+v", in)
	}
}

func TestParseInputsErrorsJoined(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-creds-line"
	_, out, err := parseOut(map[string]string{
		"command": "launch", "config": "../etc/passwd", "provider": "Fly!", "nats-url": "http://user:pw@x",
		"timeout": "7h", "wait": "maybe", "chatops-prefix": "/a b", "chatops-permission": "none", "on-draft": "pause",
		"nats-creds": secret,
	})
	if err == nil {
		t.Fatal("no error")
	}
	wantInputs := []string{"command", "config", "provider", "nats-url", "timeout", "wait", "chatops-prefix", "chatops-permission", "on-draft"}
	for _, name := range wantInputs {
		if !strings.Contains(err.Error(), `input "`+name+`"`) {
			t.Errorf("error does not mention input %s:\n%v", name, err)
		}
	}
	var ie *InputError
	if !errors.As(err, &ie) || !errors.Is(err, ErrInvalidInput) {
		t.Errorf("error is not an *InputError / ErrInvalidInput: %v", err)
	}
	if strings.Contains(err.Error(), "pw@") || strings.Contains(err.Error(), secret) {
		t.Errorf("error leaks a secret: %v", err)
	}
	if !strings.Contains(out, "::add-mask::"+secret) {
		t.Errorf("nats-creds not masked; output:\n%s", out)
	}
}

func TestParseInputsMasksSecretsFirst(t *testing.T) {
	t.Parallel()
	_, out, err := parseOut(map[string]string{
		"github-token": "ghs_tok", "nats-url": "nats://u:natspw@h:4222",
		"nats-creds": "-----BEGIN-----\nline-one-secret\nline-two-secret\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"ghs_tok", "line-one-secret", "line-two-secret", "natspw"} {
		if !strings.Contains(out, "::add-mask::"+s) {
			t.Errorf("%s not masked; output:\n%s", s, out)
		}
	}
}

func TestParseInputsExecutorKey(t *testing.T) {
	t.Parallel()
	kp, err := nkeys.CreateCurveKeys()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	user, _ := nkeys.CreateUser()
	userPub, _ := user.PublicKey()

	in, err := parse(t, map[string]string{"nats-url": "nats://a:4222", "executor-key": " " + pub + "\n"})
	if err != nil || in.ExecutorKey != pub {
		t.Fatalf("executor-key = %q, %v; want %s", in.ExecutorKey, err, pub)
	}
	for _, tc := range []struct {
		name   string
		inputs map[string]string
		want   string
	}{
		{"not a key", map[string]string{"nats-url": "nats://a:4222", "executor-key": "hello"}, "public xkey"},
		{"user key", map[string]string{"nats-url": "nats://a:4222", "executor-key": userPub}, "public xkey"},
		{"seed instead of public key", map[string]string{"nats-url": "nats://a:4222", "executor-key": string(seed)}, "this is a seed"},
		{"without nats-url", map[string]string{"executor-key": pub}, "only together with nats-url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(t, tc.inputs)
			var ie *InputError
			if !errors.As(err, &ie) || ie.Input != "executor-key" || !strings.Contains(ie.Reason, tc.want) {
				t.Fatalf("error = %v, want an executor-key input error saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), string(seed)) {
				t.Error("the error shows the seed")
			}
		})
	}
}

func TestParseInputsSigningKey(t *testing.T) {
	t.Parallel()
	user, _ := nkeys.CreateUser()
	seed, _ := user.Seed()
	userPub, _ := user.PublicKey()
	xkp, _ := nkeys.CreateCurveKeys()
	xseed, _ := xkp.Seed()

	in, out, err := parseOut(map[string]string{"nats-url": "nats://a:4222", "signing-key": string(seed) + "\n"})
	if err != nil || in.SigningKey != string(seed) {
		t.Fatalf("signing-key not taken: %v", err)
	}
	if !strings.Contains(out, "::add-mask::"+string(seed)) {
		t.Error("the signing seed is not masked")
	}
	for _, tc := range []struct {
		name   string
		inputs map[string]string
		want   string
	}{
		{"public key instead of seed", map[string]string{"nats-url": "nats://a:4222", "signing-key": userPub}, "public key"},
		{"secrets key seed", map[string]string{"nats-url": "nats://a:4222", "signing-key": string(xseed)}, "another type"},
		{"not a key", map[string]string{"nats-url": "nats://a:4222", "signing-key": "hunter2"}, "not an nkey seed"},
		{"without nats-url", map[string]string{"signing-key": string(seed)}, "only together with nats-url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(t, tc.inputs)
			var ie *InputError
			if !errors.As(err, &ie) || ie.Input != "signing-key" || !strings.Contains(ie.Reason, tc.want) {
				t.Fatalf("error = %v, want a signing-key input error saying %q", err, tc.want)
			}
			for _, secret := range []string{string(seed), string(xseed), "hunter2"} {
				if strings.Contains(err.Error(), secret) {
					t.Error("the error shows the value")
				}
			}
		})
	}
}

func TestParseInputsNATSTLS(t *testing.T) {
	t.Parallel()
	pki := testcerts.New(t)
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	ca, cert, key := read(pki.CA), read(pki.ClientCert), read(pki.ClientKey)
	other := read(testcerts.New(t).ClientKey)
	in, out, err := parseOut(map[string]string{"nats-url": "tls://a:4222", "nats-ca": ca, "nats-tls-cert": cert, "nats-tls-key": key})
	if err != nil || in.NATSCA == "" || in.NATSTLSCert == "" || in.NATSTLSKey == "" {
		t.Fatalf("valid TLS inputs refused: %v", err)
	}
	if !strings.Contains(out, "::add-mask::"+strings.Split(key, "\n")[1]) {
		t.Error("the client key is not masked")
	}
	for _, tc := range []struct {
		name   string
		inputs map[string]string
		input  string
		want   string
	}{
		{"ca not PEM", map[string]string{"nats-url": "tls://a:4222", "nats-ca": "hello"}, "nats-ca", "PEM certificates"},
		{"ca without url", map[string]string{"nats-ca": ca}, "nats-ca", "only together with nats-url"},
		{"cert without key", map[string]string{"nats-url": "tls://a:4222", "nats-tls-cert": cert}, "nats-tls-cert", "go together"},
		{"key of another cert", map[string]string{"nats-url": "tls://a:4222", "nats-tls-cert": cert, "nats-tls-key": other}, "nats-tls-cert", "do not form a key pair"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(t, tc.inputs)
			var ie *InputError
			if !errors.As(err, &ie) || ie.Input != tc.input || !strings.Contains(ie.Reason, tc.want) {
				t.Fatalf("error = %v, want a %s input error saying %q", err, tc.input, tc.want)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), strings.Split(other, "\n")[1]) {
				t.Error("the error shows key material")
			}
		})
	}
}
