package vm

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2/ec2test"
)

// Deploy builds the image when none was built from this config, then launches from it.
func TestDeployBuildsMissingImage(t *testing.T) {
	t.Parallel()
	f := ec2test.New(t, ec2test.Options{})
	cr := f.Credentials()
	env := map[string]string{"AWS_ACCESS_KEY_ID": cr.AccessKeyID, "AWS_SECRET_ACCESS_KEY": cr.SecretAccessKey}
	p := New(Config{Getenv: func(k string) string { return env[k] }, EC2Endpoint: f.URL, HTTPClient: f.Client(),
		PollInterval: 5 * time.Millisecond, BackoffBase: time.Millisecond})
	p.version, p.mode = "1.6.6", ModeLegacy // packer is "installed"
	c, diags := config.Load("sindri.yaml", []byte("version: \"3.0\"\nname: b\ndeployment:\n  provider: packer\nproviders:\n  packer: {cloud: aws, region: us-west-2}\n"))
	if c == nil {
		t.Fatal(diags)
	}
	var builds int
	var built string
	p.build = func(_ context.Context, s *providers.Spec, r providers.Reporter) (*providers.Image, error) {
		builds++
		built = f.AddImage("sindri-dev-20261206000000", ImageTags(s.Config.Providers.Packer), time.Now())
		return &providers.Image{ID: built, Name: "sindri-dev-20261206000000", Cloud: "aws"}, nil
	}
	s := &providers.Spec{Env: "builds", Config: c, Labels: map[string]string{providers.LabelRepo: "acme/app"}}
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if builds != 1 || !strings.Contains(d.Messages[0], built) {
		t.Errorf("%d builds, message %q; want one build and an instance of %s", builds, d.Messages, built)
	}
	if _, err := p.Deploy(t.Context(), s, nil); err != nil || builds != 1 {
		t.Errorf("second Deploy: %v, %d builds; want the image found, not built again", err, builds)
	}
}
