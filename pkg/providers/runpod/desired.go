package runpod

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strconv"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Env variables that mark a pod as an environment's (RunPod has no labels).
const (
	envMarker     = "SINDRI_ENV"
	envManagedBy  = "SINDRI_MANAGED_BY"
	envLabels     = "SINDRI_LABELS"
	envConfigHash = "SINDRI_CONFIG_HASH"
)

// Settings Sindri applies when the config leaves them open.
const (
	defaultCPUFlavor = "cpu3c"
	minVolumeGB      = 10 // RunPod's floor for a pod volume
	sshPort          = 22
)

// desired is the pod an environment's spec asks for, with every default applied once.
type desired struct {
	env  string
	spec podSpec
	// httpPorts are the ports served through the proxy (exposePorts).
	httpPorts []int
	labels    map[string]string
	// secrets are the secret values in spec.Env, redacted from every recording and artifact.
	secrets  []string
	hash     string
	warnings []string
}

// resolve turns a Plan/Deploy spec into the desired pod. Errors wrap providers.ErrInvalidSpec.
func resolve(s *providers.Spec, a api) (*desired, error) {
	c := s.Config
	if c == nil {
		return nil, fmt.Errorf("runpod: %w: no config", providers.ErrInvalidSpec)
	}
	if s.Image == "" {
		return nil, fmt.Errorf("runpod: %w: no image to run (set deployment.image)", providers.ErrInvalidSpec)
	}
	rp := c.Providers.RunPod
	if rp == nil {
		rp = &config.RunPodConfig{}
	}
	d := &desired{env: s.Env, labels: maps.Clone(s.Labels)}
	ps := podSpec{Name: s.Env, Image: s.Image, Cloud: orString(rp.CloudType, "COMMUNITY"), DiskGB: intOr(rp.ContainerDiskGB, 20),
		VolumePath: orString(rp.VolumeMountPath, "/workspace"), StartSSH: rp.StartSSH == nil || *rp.StartSSH}
	if rp.Region != "" {
		ps.DataCenters = []string{rp.Region}
	}

	gpu := c.RunPodGPU()
	if gpu.Problem != "" {
		d.warnings = append(d.warnings, gpu.Problem+"; asking for "+strconv.Quote(gpu.ID)+" from the tier")
	}
	if gpu.ID != "" {
		ps.GPU = &gpuSpec{ID: gpu.ID, Count: gpu.Count}
	} else {
		flavor, vcpus := defaultCPUFlavor, c.Deployment.Resources.CPUCount()
		if rp.CPUInstanceID != "" {
			f, n, err := config.ParseRunPodCPUInstance(rp.CPUInstanceID)
			if err != nil {
				return nil, fmt.Errorf("runpod: %w: providers.runpod.cpuInstanceId: %v", providers.ErrInvalidSpec, err)
			}
			flavor = f
			if n > 0 {
				vcpus = n
			}
		}
		ps.CPU = &cpuSpec{Flavor: flavor, VCPUs: powerOfTwo(max(vcpus, 2))}
		if ps.CPU.VCPUs != max(vcpus, 2) {
			d.warnings = append(d.warnings, fmt.Sprintf("RunPod CPU pods take a power-of-two vCPU count: %d vCPUs asked, %d requested", vcpus, ps.CPU.VCPUs))
		}
	}

	volume := 0
	if rp.VolumeSizeGB != nil {
		volume = *rp.VolumeSizeGB
	} else if ws := c.Deployment.Volumes.Workspace; ws != nil {
		volume = int(ws.SizeGB())
	}
	switch {
	case ps.CPU != nil && volume > 0:
		d.warnings = append(d.warnings, fmt.Sprintf("RunPod CPU pods have no pod volume: the %d GB volume is not created, and %s is on the container disk (lost on stop)", volume, ps.VolumePath))
	case volume > 0 && volume < minVolumeGB:
		d.warnings = append(d.warnings, fmt.Sprintf("RunPod's smallest pod volume is %d GB: %d GB asked, %d GB requested", minVolumeGB, volume, minVolumeGB))
		ps.VolumeGB = minVolumeGB
	case volume > 0:
		ps.VolumeGB = volume
	}

	ps.Ports = []string{strconv.Itoa(sshPort) + "/tcp"}
	for _, port := range rp.ExposePorts {
		if port == sshPort {
			continue
		}
		ps.Ports = append(ps.Ports, strconv.Itoa(port)+"/http")
		d.httpPorts = append(d.httpPorts, port)
	}
	if rp.SpotBid != nil && *rp.SpotBid > 0 {
		ps.Interruptible = true
		if !a.interruptible() {
			d.warnings = append(d.warnings, fmt.Sprintf("spotBid %.2f asks for an interruptible (spot) pod, which RunPod REST v2 cannot create: an on-demand pod is created", *rp.SpotBid))
		}
	}

	ps.Env = map[string]string{}
	for _, sv := range s.Secrets {
		if sv.MountPath != "" {
			return nil, fmt.Errorf("runpod: %w: secret %s is a file secret (mountPath %s); RunPod pods take secrets only as environment variables", providers.ErrInvalidSpec, sv.Name, sv.MountPath)
		}
		if sv.Value == nil {
			continue
		}
		v := sv.Value.Reveal()
		ps.Env[sv.Name] = v
		if v != "" {
			d.secrets = append(d.secrets, v)
		}
	}
	lb, err := json.Marshal(d.labels)
	if err != nil {
		return nil, fmt.Errorf("runpod: labels: %w", err)
	}
	ps.Env[envMarker] = s.Env
	ps.Env[envManagedBy] = providers.ManagedByValue
	ps.Env[envLabels] = string(lb)
	d.hash = hashOf(a.createBody(ps))
	ps.Env[envConfigHash] = d.hash
	d.spec = ps
	return d, nil
}

// hashOf is the config hash: the SHA-256 of the create body (secret values included, so a
// rotated secret is a change, but only as part of the whole).
func hashOf(body any) string {
	b, _ := json.Marshal(body)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// redactedBody is the create body with secret values replaced, for artifacts.
func (d *desired) redactedBody(a api) any {
	ps := d.spec
	ps.Env = maps.Clone(ps.Env)
	for k, v := range ps.Env {
		if slices.Contains(d.secrets, v) {
			ps.Env[k] = "[redacted]"
		}
	}
	return a.createBody(ps)
}

func powerOfTwo(n int) int {
	if n&(n-1) == 0 {
		return n
	}
	return 1 << bits.Len(uint(n))
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}
