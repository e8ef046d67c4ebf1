package vm

import (
	"fmt"
	"slices"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2"
)

// credential returns the variable name's value: a job credential of that name first, then
// the executor's environment.
func (p *Provider) credential(s *providers.Spec, name string) string {
	if s != nil {
		for _, c := range s.Credentials {
			if c.Name == name && c.Value != nil {
				return c.Value.Reveal()
			}
		}
	}
	return p.cfg.Getenv(name)
}

// ec2Client returns a client of region signed with the AWS credentials of s (job
// credentials, else the executor's). A missing one is providers.MissingCredential naming
// the variable.
func (p *Provider) ec2Client(s *providers.Spec, region string) (*ec2.Client, error) {
	for _, name := range requiredVars[config.CloudAWS] {
		if p.credential(s, name) == "" {
			return nil, providers.MissingCredential(Name, name)
		}
	}
	c, err := ec2.New(ec2.Config{
		Region:   region,
		Endpoint: p.cfg.EC2Endpoint,
		Provider: Name,
		Credentials: ec2.Credentials{
			AccessKeyID:     p.credential(s, "AWS_ACCESS_KEY_ID"),
			SecretAccessKey: p.credential(s, "AWS_SECRET_ACCESS_KEY"),
			SessionToken:    p.credential(s, "AWS_SESSION_TOKEN"),
		},
		HTTPClient:  p.cfg.HTTPClient,
		Timeout:     p.cfg.APITimeout,
		BackoffBase: p.cfg.BackoffBase,
		Recorder:    p.cfg.Recorder,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	return c, nil
}

// regionsOf is where a teardown looks for the environment: the handle's region, else the
// config's, else every region the executor names (Config.Regions).
func (p *Provider) regionsOf(s *providers.Spec) ([]string, error) {
	if h := readHandle(s); h.Region != "" {
		return []string{h.Region}, nil
	}
	if s.Config != nil && s.Config.Providers.Packer != nil && s.Config.Providers.Packer.Cloud == config.CloudAWS {
		return []string{region(s.Config.Providers.Packer)}, nil
	}
	if len(p.cfg.Regions) > 0 {
		return slices.Clone(p.cfg.Regions), nil
	}
	return nil, fmt.Errorf("%s: cannot locate environment %s: no handle, no config and no regions (set provider \"packer\" { regions } or AWS_REGION on the executor): %w",
		Name, s.Env, providers.ErrInvalidSpec)
}
