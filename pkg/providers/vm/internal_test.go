package vm

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
)

func TestParseVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		out  string
		mode Mode
		bad  bool
	}{
		{"Packer v1.6.6\n", ModeLegacy, false},
		{"Packer v1.9.4\n\nYour version of Packer is out of date!", ModePlugins, false},
		{"1.7.0", ModePlugins, false},
		{"Packer v1.5.6", 0, true},
		{"command not found", 0, true},
	} {
		_, mode, err := ParseVersion(tc.out)
		if (err != nil) != tc.bad || (!tc.bad && mode != tc.mode) {
			t.Errorf("ParseVersion(%q) = %s, %v; want %s, error %v", tc.out, mode, err, tc.mode, tc.bad)
		}
	}
}

func TestImageID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cloud                  config.PackerCloud
		artifact, region, want string
	}{
		{config.CloudAWS, "us-west-2:ami-0aaa", "us-west-2", "ami-0aaa"},
		{config.CloudAWS, "eu-central-1:ami-0bbb,us-west-2:ami-0aaa", "us-west-2", "ami-0aaa"},
		{config.CloudAlibaba, "cn-hangzhou:m-123", "cn-hangzhou", "m-123"},
		{config.CloudGCP, "sindri-dev-20250101000000", "us-west1-a", "sindri-dev-20250101000000"},
		{config.CloudAzure, "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/images/i", "westus2", "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/images/i"},
	} {
		if got := imageID(tc.cloud, tc.artifact, tc.region); got != tc.want {
			t.Errorf("imageID(%s, %q) = %q, want %q", tc.cloud, tc.artifact, got, tc.want)
		}
	}
}

type recorder struct {
	mu    sync.Mutex
	logs  []string
	steps []string
}

func (r *recorder) Log(l string) { r.mu.Lock(); r.logs = append(r.logs, l); r.mu.Unlock() }
func (r *recorder) Progress(s string, _, _ int) {
	r.mu.Lock()
	r.steps = append(r.steps, s)
	r.mu.Unlock()
}

// The artifact id comes from the artifact,0,id line, never from text that looks like an AMI id.
func TestProgressReadsMachineReadable(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	p := newProgress(rec)
	for _, l := range []string{
		"1700000000,,ui,say,==> amazon-ebs.sindri: Creating temporary keypair: packer_x",
		"1700000001,,ui,message,    amazon-ebs.sindri: AMI ami-0fake mentioned in passing",
		"1700000002,amazon-ebs.sindri,artifact-count,1",
		"1700000002,amazon-ebs.sindri,artifact,0,id,us-west-2:ami-0real",
		"plain stderr line",
	} {
		p.Log(l)
	}
	id, at := p.result()
	if id != "us-west-2:ami-0real" || at.Unix() != 1700000002 {
		t.Errorf("artifact %q at %v, want us-west-2:ami-0real at 1700000002", id, at)
	}
	if !slices.Equal(rec.steps, []string{"amazon-ebs.sindri: Creating temporary keypair: packer_x"}) {
		t.Errorf("steps %q", rec.steps)
	}
	if len(rec.logs) != 3 {
		t.Errorf("logs %q, want the two ui lines and the plain line", rec.logs)
	}
}

// Only the manifest entry of the last run counts: earlier runs' entries stay in the file.
func TestLastRun(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "manifest.json")
	m := `{"builds":[
 {"name":"sindri","artifact_id":"us-west-2:ami-old","packer_run_uuid":"run-1","build_time":1,"custom_data":{"image_name":"x-1"}},
 {"name":"sindri","artifact_id":"us-west-2:ami-new","packer_run_uuid":"run-2","build_time":2,"custom_data":{"image_name":"x-2"}},
 {"name":"sindri","artifact_id":"us-west-2:ami-older","packer_run_uuid":"run-0","build_time":0}],
 "last_run_uuid":"run-2"}`
	if err := os.WriteFile(path, []byte(m), 0o600); err != nil {
		t.Fatal(err)
	}
	id, name, _, err := lastRun(path)
	if err != nil || id != "us-west-2:ami-new" || name != "x-2" {
		t.Errorf("lastRun = %q, %q, %v; want the run-2 entry", id, name, err)
	}
}

// TestTailBufferKeepsTheEnd: what an instance prints is held within the bound, its end kept.
func TestTailBufferKeepsTheEnd(t *testing.T) {
	b := &tailBuffer{max: 8}
	for _, w := range []string{"abc", "defgh", "ij", "", "0123456789XY"} {
		if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", w, n, err)
		}
	}
	if got := b.String(); got != "456789XY" {
		t.Errorf("after a long write: %q, want the last 8 bytes", got)
	}
	b = &tailBuffer{max: 8}
	b.Write([]byte("abcdef"))
	b.Write([]byte("ghij"))
	if got := b.String(); got != "cdefghij" {
		t.Errorf("after short writes: %q, want cdefghij", got)
	}
}
