package executor_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
)

// An image-build job runs the real packer end to end through the executor, with Packer's null
// builder in place of the cloud: the user sees each packer step as a progress event, and the
// succeeded event names the image from this run's artifact.
func TestImageBuildRunsPacker(t *testing.T) {
	if os.Getenv("SINDRI_HEAVY") != "1" {
		t.Skip("runs the real packer: set SINDRI_HEAVY=1 (the binary comes from scripts/tools.sh packer)")
	}
	bin := os.Getenv("SINDRI_PACKER_BIN")
	if bin == "" {
		out, err := exec.Command("../../scripts/tools.sh", "packer").Output()
		if err != nil {
			t.Fatalf("scripts/tools.sh packer: %v", err)
		}
		bin = strings.TrimSpace(string(out))
	}
	t.Parallel()
	b := startBus(t)
	p := vm.New(vm.Config{Binary: bin, PATH: "/usr/bin:/bin", Home: t.TempDir(), WorkDir: t.TempDir(), NullBuilder: true})
	runExecutor(t, b, spyConfig(p))
	j, err := jobs.New(jobs.KindImageBuild, "team-image", vm.Name)
	if err != nil {
		t.Fatal(err)
	}
	j.Generation = 1
	j.Repo = "sindri/demo"
	j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: "version: \"3.0\"\nname: vm\ndeployment:\n  provider: packer\nproviders:\n  packer:\n    cloud: aws\n    image_name: team-image\n"}
	b.publish(t, j)
	evs := b.follow(t, j.ID, 2*time.Minute)
	wantTerminal(t, evs, events.TypeSucceeded)
	var steps []string
	for _, ev := range evs {
		if pr, ok := ev.Data.(*events.Progress); ok {
			steps = append(steps, pr.Step)
		}
	}
	if !containsStep(steps, "Running local shell script") || !containsStep(steps, "post-processor") {
		t.Errorf("progress steps %q, want packer's provisioner and post-processor steps", steps)
	}
	img := last(evs).Data.(*events.Succeeded).Image
	if img == nil || img.ID != "Null" || !strings.HasPrefix(img.Name, "team-image-") || img.Cloud != "aws" || img.Region != "us-west-2" {
		t.Errorf("succeeded image %+v, want the null artifact named team-image-<timestamp> on aws us-west-2", img)
	}
}

func containsStep(steps []string, sub string) bool {
	for _, s := range steps {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
