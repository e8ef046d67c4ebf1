package vm_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// On Azure a VM whose guest does not come up is reported by Deploy at once with the
// provisioning error and logged; Destroy then removes the VM with its disk and NIC.
func TestAzureFailingInstanceFailsFast(t *testing.T) {
	t.Parallel()
	p, f := newAzureFake(t)
	for _, im := range f.Images() {
		f.FailLaunches(im, "OS Provisioning for VM did not finish in the allotted time.")
	}
	s := azureSpec(t, "failing", f)
	deployFailsFast(t, p, s, "did not finish in the allotted time")
	if st, err := p.Status(t.Context(), s); err != nil || st.State != providers.StateStopped || !strings.Contains(st.Details["state_reason"], "allotted time") {
		t.Errorf("Status of the failed VM = %+v, %v; want stopped with the reason", st, err)
	}
	if err := p.Destroy(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if left := f.Resources(azureTag(providers.LabelEnv), "failing"); len(left) != 0 {
		t.Errorf("left: %v", left)
	}
}

// Without the subnet or the SSH key a launch is refused before anything is made, naming
// the variable.
func TestAzureLaunchNeedsSubnetAndKey(t *testing.T) {
	t.Parallel()
	p, f := newAzureFake(t)
	for _, name := range []string{"AZURE_SUBNET_ID", "AZURE_SSH_PUBLIC_KEY"} {
		s := azureSpec(t, "nokey", f)
		s.Credentials = append(s.Credentials, providers.SecretValue{Name: name, Value: providertest.Canary("")})
		_, err := p.Deploy(t.Context(), s, nil)
		if !errors.Is(err, providers.ErrAuth) || !strings.Contains(err.Error(), name) {
			t.Errorf("Deploy without %s: %v", name, err)
		}
	}
	if left := f.Resources(azureTag(providers.LabelEnv), "nokey"); len(left) != 0 {
		t.Errorf("made: %v", left)
	}
}

// image-list on Azure shows sindri's managed images of the config's image name, newest
// first, with neutral tag names; image-delete removes one, leaves a foreign image alone and
// succeeds on one already gone.
func TestImagesOnAzure(t *testing.T) {
	t.Parallel()
	p, f := newAzureFake(t)
	s := azureSpec(t, "images", f)
	pc := s.Config.Providers.Packer
	old := f.Images()[0]
	newer := f.AddImage("sindri-dev-newer", map[string]string{"sindri.dev_image": pc.ImageName, "sindri.dev_managed-by": "sindri-deploy"}, time.Now())
	foreign := f.AddImage("someone-elses", map[string]string{"sindri.dev_image": pc.ImageName}, time.Now())
	imageJobs(t, p, s, "westus2", old, newer, foreign, f.Images)
}
