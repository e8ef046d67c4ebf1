package vm

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/testsshd"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2/ec2test"
)

// authorizedRE finds the delivery key in user data.
var authorizedRE = regexp.MustCompile(`(?m)^ssh_authorized_keys:\n  - (ssh-ed25519 \S+ sindri-delivery)$`)

// A Deploy writes the secrets through a real sshd standing in for the instance (the EC2 fake
// gives it 127.0.0.1 as public address; the test plays cloud-init by installing the key from
// the recorded user data once the instance exists): the file holds them in the env-file form,
// mode 0600, and the profile script of the user data exports them into a login shell. A second
// Deploy with the same secrets writes nothing; a changed set is written again; a host key
// other than the pinned one is refused. No secret value is in the user data, the EC2
// requests, the reporter's lines or the deployment.
func TestDeploySecretsOverRealSSH(t *testing.T) {
	rs := newRealSSH(t)
	f, cr, rec, p := rs.f, rs.cr, rs.rec, rs.p
	const v1, v2 = "tok en $HOME 'q' \"dq\" value-one", "second-value-two"
	s := rs.spec("sshsecrets", providers.SecretValue{Name: "API_TOKEN", Value: providertest.Canary(v1)},
		providers.SecretValue{Name: "DB_URL", Value: providertest.Canary("postgres://u:pw-canary@db/x")})

	installed := rs.authorizeOnLaunch(t, "sshsecrets")
	lines := &providertest.Recorder{}
	d, err := p.Deploy(t.Context(), s, lines)
	if err != nil {
		t.Fatal(err)
	}
	ud := <-installed
	got, err := os.ReadFile(p.secretsPath)
	if err != nil {
		t.Fatal(err)
	}
	if want := "API_TOKEN=" + v1 + "\nDB_URL=postgres://u:pw-canary@db/x\n"; string(got) != want {
		t.Errorf("secrets file %q, want %q", got, want)
	}
	if fi, _ := os.Stat(p.secretsPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("secrets file mode %v, want 0600", fi.Mode().Perm())
	}
	// The developer's shell: the user data's profile script exports them verbatim.
	script := profileScript(p.secretsPath)
	if !strings.Contains(ud, indentLines(script, "      ")) {
		t.Errorf("user data lacks the profile script:\n%s", ud)
	}
	out, err := exec.Command("sh", "-c", script+`printf '%s|%s' "$API_TOKEN" "$DB_URL"`).Output()
	if err != nil || string(out) != v1+"|postgres://u:pw-canary@db/x" {
		t.Errorf("a shell after the profile script sees %q, %v", out, err)
	}
	id := f.Instances(providers.LabelEnv, "sshsecrets")[0]
	dj, _ := json.Marshal(d)
	everything := ud + strings.Join(rec.Lines(), "\n") + strings.Join(lines.Lines(), "\n") + string(dj) + d.Handle
	for _, v := range []string{v1, "pw-canary", cr.SecretAccessKey} {
		if strings.Contains(everything, v) {
			t.Errorf("a secret value is in the user data, the EC2 requests, the log or the deployment")
		}
	}

	// Unchanged secrets: nothing written, deployment unchanged.
	before, _ := os.Stat(p.secretsPath)
	d, err = p.Deploy(t.Context(), s, nil)
	if err != nil || d.Changed || len(d.Warnings) != 0 {
		t.Fatalf("second Deploy = %+v, %v; want unchanged, no warning", d, err)
	}
	if after, _ := os.Stat(p.secretsPath); !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the unchanged secrets were written again")
	}
	// A changed set is written again.
	s.Secrets = []providers.SecretValue{{Name: "API_TOKEN", Value: providertest.Canary(v2)}}
	if d, err = p.Deploy(t.Context(), s, nil); err != nil || !d.Changed {
		t.Fatalf("Deploy with other secrets = %+v, %v; want changed", d, err)
	}
	if got, _ := os.ReadFile(p.secretsPath); string(got) != "API_TOKEN="+v2+"\n" {
		t.Errorf("secrets file after the change %q", got)
	}
	// Another host key at the same address is refused, nothing sent.
	s.Secrets = []providers.SecretValue{{Name: "API_TOKEN", Value: providertest.Canary("third-value")}}
	if err := retagHostKey(t, p, s, id, "SHA256:not-the-key"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Deploy(t.Context(), s, nil); err == nil || !strings.Contains(err.Error(), "host key") {
		t.Errorf("Deploy to a host with another key: %v, want a host key error", err)
	}
	if got, _ := os.ReadFile(p.secretsPath); strings.Contains(string(got), "third-value") {
		t.Errorf("secrets were sent to a host whose key changed")
	}
}

// realSSH is an EC2 fake whose instances are a real sshd (Debian's, through scripts/tools.sh;
// the fake gives them 127.0.0.1), and a provider on it with a delivery secret, its secrets
// written to a temporary folder. It skips the test without SINDRI_HEAVY=1.
type realSSH struct {
	srv *testsshd.Server
	f   *ec2test.Fake
	cr  ec2.Credentials
	rec *rest.Recorder
	p   *Provider
	cfg *config.Config
	// env is the provider's executor environment.
	env map[string]string
}

func newRealSSH(t *testing.T) *realSSH {
	t.Helper()
	sshd := providertest.ToolBinary(t, "sshd", "SINDRI_SSHD_BIN")
	rs := &realSSH{srv: testsshd.Start(t, sshd), rec: &rest.Recorder{}}
	rs.f = ec2test.New(t, ec2test.Options{PublicIP: "127.0.0.1", Transition: 20 * time.Millisecond})
	rs.cr = rs.f.Credentials()
	rs.env = map[string]string{"AWS_ACCESS_KEY_ID": rs.cr.AccessKeyID, "AWS_SECRET_ACCESS_KEY": rs.cr.SecretAccessKey,
		DeliveryKeyVar: "heavy-test-delivery-secret-abcdefghijklmnop"}
	rs.p = rs.provider(rs.srv.Port, rs.env)
	rs.p.secretsPath = filepath.Join(t.TempDir(), "etc", "sindri", "secrets.env")
	var diags config.Diagnostics
	rs.cfg, diags = config.Load("sindri.yaml", []byte("version: \"3.0\"\nname: s\ndeployment:\n  provider: packer\nproviders:\n  packer: {cloud: aws, region: us-west-2}\n"))
	if rs.cfg == nil {
		t.Fatal(diags)
	}
	rs.f.AddImage("sindri-dev-20261206000000", ImageTags(rs.cfg.Providers.Packer), time.Now())
	return rs
}

// provider is a provider on the fake with the executor environment env, reaching instances'
// sshd on port.
func (rs *realSSH) provider(port int, env map[string]string) *Provider {
	return New(Config{Getenv: func(k string) string { return env[k] }, EC2Endpoint: rs.f.URL, HTTPClient: rs.f.Client(),
		PollInterval: 20 * time.Millisecond, BackoffBase: time.Millisecond, Recorder: rs.rec,
		SSHUser: rs.srv.User, SSHPort: port})
}

// spec is the job of env with secrets.
func (rs *realSSH) spec(env string, secrets ...providers.SecretValue) *providers.Spec {
	return &providers.Spec{Env: env, Config: rs.cfg, Labels: map[string]string{providers.LabelRepo: "acme/app"},
		Options: providers.Options{Timeout: time.Minute}, Secrets: secrets}
}

// authorizeOnLaunch plays cloud-init for the sshd: once env's instance is launched, the key
// of its user data is authorized. The channel gets the user data (closed when no instance
// came).
func (rs *realSSH) authorizeOnLaunch(t *testing.T, env string) <-chan string {
	t.Helper()
	f, srv := rs.f, rs.srv
	installed := make(chan string, 1)
	go func() {
		for range 2000 {
			if ids := f.Instances(providers.LabelEnv, env); len(ids) == 1 {
				ud := f.UserData(ids[0])
				if m := authorizedRE.FindStringSubmatch(ud); m != nil {
					testsshd.WriteFile(t, srv.AuthorizedKeys, m[1]+"\n")
				}
				installed <- ud
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		close(installed)
	}()
	return installed
}

// retagHostKey pins another host key fingerprint on instance id.
func retagHostKey(t *testing.T, p *Provider, s *providers.Spec, id, fp string) error {
	t.Helper()
	c, err := p.ec2Client(s, "us-west-2")
	if err != nil {
		return err
	}
	return c.CreateTags(t.Context(), []string{id}, ec2.TagList(map[string]string{LabelSSHHostKey: fp}))
}
