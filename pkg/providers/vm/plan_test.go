package vm_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2/ec2test"
)

// Plan reads EC2 and decides as Deploy: with the image built, it plans to use it and launch;
// after a deploy, nothing; stopped, a start. It writes what the launch sends.
func TestPlanDecidesAsDeploy(t *testing.T) {
	t.Parallel()
	p, f := newEnvFake(t)
	s := envSpec(t, "plan")
	// Instance-only settings do not change which image is used.
	s.Config = loadConfig(t, envYAML+"      key_name: dev-key\n      security_group_ids: [sg-0123456789abcdef0]\n")
	ami := f.Images()[0]
	plan, err := p.Plan(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Actions) != 2 || plan.Actions[0].Action != providers.ActionNone || !strings.Contains(plan.Actions[0].Description, ami) ||
		plan.Actions[1].Action != providers.ActionCreate {
		t.Fatalf("actions %+v, want: use %s, create the instance", plan.Actions, ami)
	}
	launch := plan.Artifacts["ec2/run-instances.txt"]
	for _, want := range []string{"ImageId=" + ami, "InstanceType=t3.medium", "TagSpecification.1.ResourceType=instance", "MinCount=1",
		"KeyName=dev-key", "SecurityGroupId.1=sg-0123456789abcdef0"} {
		if !strings.Contains(launch, want) {
			t.Errorf("run-instances.txt lacks %q:\n%s", want, launch)
		}
	}
	if !strings.Contains(plan.Artifacts["ec2/user-data.yaml"], "SINDRI_ENV=plan") || plan.Artifacts["aws.pkr.hcl"] == "" {
		t.Errorf("artifacts %v", plan.Artifacts)
	}
	// t3.medium with an 80 GB gp3 volume and its snapshot, from the catalogue's published prices.
	want := 0.0416 + (80*0.08+80*0.05)/730
	if c := plan.EstimatedCost; c == nil || c.Hourly == nil || math.Abs(*c.Hourly-want) > 0.0001 || !strings.Contains(c.Notes, "2026-12-05") {
		t.Errorf("estimate %+v, want hourly %.4f with the price date", plan.EstimatedCost, want)
	}
	if got := f.Instances(providers.LabelEnv, "plan"); len(got) != 0 {
		t.Fatalf("Plan launched %v", got)
	}
	if _, err := p.Deploy(t.Context(), s, nil); err != nil {
		t.Fatal(err)
	}
	if plan, err = p.Plan(t.Context(), s); err != nil || plan.Actions[1].Action != providers.ActionNone {
		t.Errorf("plan after deploy: %+v, %v; want no instance action", plan.Actions, err)
	}
	if err := p.Stop(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if plan, err = p.Plan(t.Context(), s); err != nil || plan.Actions[1].Action != providers.ActionStart {
		t.Errorf("plan of a stopped env: %+v, %v; want start", plan.Actions, err)
	}
}

// Without credentials Plan reads nothing, plans a first deploy and says so.
func TestPlanWithoutCredentials(t *testing.T) {
	t.Parallel()
	f := ec2test.New(t, ec2test.Options{})
	p := vm.New(vm.Config{Getenv: func(string) string { return "" }, EC2Endpoint: f.URL, HTTPClient: f.Client(),
		Binary: "/nonexistent/packer", PollInterval: time.Millisecond})
	s := envSpec(t, "nocreds")
	s.Credentials = nil
	plan, err := p.Plan(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.API.Requests()); n != 0 {
		t.Errorf("Plan without credentials sent %d requests", n)
	}
	joined := strings.Join(plan.Warnings, "\n")
	if !strings.Contains(joined, "AWS_ACCESS_KEY_ID") || plan.Actions[0].Action != providers.ActionCreate || plan.Actions[1].Action != providers.ActionCreate {
		t.Errorf("plan %+v warnings %q", plan.Actions, plan.Warnings)
	}
	if !strings.Contains(plan.Artifacts["ec2/run-instances.txt"], "ImageId=<the image built by packer>") {
		t.Errorf("run-instances.txt:\n%s", plan.Artifacts["ec2/run-instances.txt"])
	}
}

// The estimate on GCP and Azure prices the default machine type, disk, image storage and
// public address from their catalogues, with the source date.
func TestPlanEstimateGCPAzure(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		yaml string
		want float64
	}{
		// e2-standard-2, 80 GB pd-ssd, image storage, external address.
		{gcpYAML, 0.067006 + 0.005 + (80*0.17+80*0.05)/730},
		// Standard_D2s_v5, 80 GB Premium_LRS (P10), image snapshots, public IP.
		{azureYAML, 0.096 + 0.005 + (19.71+80*0.05)/730},
	} {
		p := vm.New(vm.Config{Getenv: func(string) string { return "" }, Binary: "/nonexistent/packer"})
		s := envSpec(t, "estimate")
		s.Config, s.Credentials = loadConfig(t, c.yaml), nil
		plan, err := p.Plan(t.Context(), s)
		if err != nil {
			t.Fatal(err)
		}
		e := plan.EstimatedCost
		if e == nil || e.Hourly == nil || math.Abs(*e.Hourly-c.want) > 0.0001 || !strings.Contains(e.Notes, "2026-12-06") {
			t.Errorf("%s: estimate %+v, want hourly %.4f with the price date", s.Config.Providers.Packer.Cloud, e, c.want)
		}
	}
}
