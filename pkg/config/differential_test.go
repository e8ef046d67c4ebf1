package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

const schemaPath = "../../testdata/shared/spec/sindri.schema.json"

// intentionalDiffs lists every way our validator deliberately disagrees with the upstream JSON
// schema (accept vs refuse), with the reason. A disagreement not listed here fails the test,
// and so does a listed one that no longer happens.
var intentionalDiffs = map[string]string{
	"missingExtensions":    "we accept a file without extensions (warning); the upstream v3/examples all omit it",
	"autoInstall":          "extensions.autoInstall (camelCase) is honoured with a warning; most V3 examples use it",
	"unknownKeyClosed":     "unknown keys are warnings everywhere, also in blocks the schema closes (additionalProperties:false)",
	"sizeForm":             "sizes ParseSize reads (4Gi, 1TB, 4gb) are accepted with a portability warning",
	"zeroSize":             "a zero memory/size is refused (it would deploy nothing); the schema pattern allows 0GB",
	"nameLength":           "name is limited to 63 characters (DNS label); the schema has no limit",
	"s3Optional":           "an optional s3 secret is accepted with a warning (skipped at deploy); the schema has no s3",
	"flyGPU":               "Fly.io GPU machines were retired on 2026-08-01, so fly + gpu.enabled is refused",
	"e2bGPU":               "E2B has no GPUs, so e2b + gpu.enabled is refused (upstream fails at deploy)",
	"emptyExtensions":      "extensions with neither profile nor active is a warning, as upstream's loader accepts it",
	"duplicateSecret":      "a secret name declared twice is refused: the secrets resolver refuses it at deploy; the schema has no uniqueness rule",
	"mountPathClean":       "a file secret's mountPath must be absolute and clean, as the secrets resolver requires; the schema takes any string",
	"portRange":            "docker ports outside 1-65535 (0:80, 99999:80, 80:0) are refused, as the Docker provider refuses them; the schema pattern ^\\d+:\\d+$ allows them",
	"portDuplicate":        "a docker host port published twice (same address, port, protocol) is refused, as the Docker provider refuses it; the schema has no such rule",
	"portForm":             "docker ports with a host IP or /tcp|/udp suffix are accepted, as the Docker provider publishes them; the schema pattern allows only HOST:CONTAINER",
	"buildFromSource":      "buildFromSource.enabled: true is refused: this action deploys prebuilt images and does not build from source",
	"northflankGPUTiers":   "northflank takes the GPU model tiers it has (a100, h100, l4, ...) mapped through a tier map to its gpuType ids, and reads upstream's gpuType spellings (nvidia-a100-40gb) as those ids; the schema allows only the four generic tiers",
	"v2DroppedProfile":     "a V2 profile V3 dropped (ai-dev) is read as V2's extension list for it, with a warning; the V3 schema's profile enum refuses it",
	"runpodVolumeConflict": "providers.runpod.volumeSizeGb and deployment.volumes.workspace.size name the same pod volume: different sizes are refused naming both keys; the schema has no cross-field rule",
	"runpodGPUTiers":       "runpod takes GPU model tiers (a4000, a100, rtx4090, ...) mapped to exact gpuTypeIds, and reads the documented gpuType spelling as gpuTypeId; the schema allows only the four generic tiers and refuses gpuType",
}

// fixtureDiffs names the intentional difference each disagreeing fixture exercises.
var fixtureDiffs = map[string]string{
	"v3-devpod-aws.yaml":                   "missingExtensions",
	"v3-devpod-azure.yaml":                 "missingExtensions",
	"v3-devpod-digitalocean.yaml":          "missingExtensions",
	"v3-devpod-docker.yaml":                "missingExtensions",
	"v3-devpod-gcp.yaml":                   "missingExtensions",
	"v3-docker-basic.yaml":                 "missingExtensions",
	"v3-e2b-basic.yaml":                    "missingExtensions",
	"v3-fly-basic.yaml":                    "missingExtensions",
	"v3-northflank-autoscaling.yaml":       "missingExtensions",
	"v3-northflank-basic.yaml":             "missingExtensions",
	"v3-northflank-full.yaml":              "missingExtensions",
	"v3-runpod-cpu-only.yaml":              "missingExtensions",
	"v3-fly-production.sindri.yaml":        "autoInstall",
	"v3-runpod-enterprise.sindri.yaml":     "autoInstall",
	"v3-northflank-gpu.yaml":               "northflankGPUTiers",
	"v3-runpod-a100-training.yaml":         "runpodGPUTiers",
	"v3-runpod-gpu-basic.yaml":             "runpodGPUTiers",
	"v3-runpod-spot.yaml":                  "runpodGPUTiers",
	"v2-devpod-aws-ai-dev-gpu.sindri.yaml": "v2DroppedProfile",
	"v2-docker-gpu-ai-dev.sindri.yaml":     "v2DroppedProfile",
}

func compileSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatalf("upstream schema missing: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	if err := c.AddResource("sindri.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sindri.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// schemaAccepts validates YAML text the way upstream's `sindri config validate` does: YAML to
// a JSON value, then the draft-07 schema.
func schemaAccepts(t testing.TB, s *jsonschema.Schema, data []byte) (bool, string) {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return false, err.Error()
	}
	j, err := json.Marshal(v)
	if err != nil {
		return false, err.Error()
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		return false, err.Error()
	}
	return true, ""
}

func compare(t *testing.T, s *jsonschema.Schema, label string, data []byte, diff string, seen map[string]bool) {
	t.Helper()
	schemaOK, why := schemaAccepts(t, s, data)
	_, diags := Load(label, data)
	ourOK := !diags.HasErrors()
	if schemaOK == ourOK {
		if diff != "" {
			t.Errorf("%s: listed as intentional difference %q but both validators say accepted=%v", label, diff, ourOK)
		}
		return
	}
	if _, ok := intentionalDiffs[diff]; !ok {
		t.Errorf("%s: schema accepted=%v (%s), ours accepted=%v:\n%s", label, schemaOK, firstLine(why), ourOK, render(diags))
		return
	}
	seen[diff] = true
}

func firstLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " | ")
	if len(s) > 300 {
		return s[:300]
	}
	return s
}

func TestDifferentialFixtures(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	seen := map[string]bool{}
	for _, f := range fixtureFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		compare(t, s, filepath.Base(f), data, fixtureDiffs[filepath.Base(f)], seen)
	}
}

// variantBase is valid for both validators and has a block for every provider, so every field
// can be mutated while provider stays docker.
func variantBase() map[string]any {
	return map[string]any{
		"version": "3.0", "name": "demo",
		"deployment": map[string]any{
			"provider": "docker", "distro": "ubuntu", "image": "img",
			"resources": map[string]any{"memory": "4GB", "cpus": 2,
				"gpu": map[string]any{"enabled": true, "type": "nvidia", "count": 1, "tier": "gpu-small", "memory": "16GB"}},
			"volumes": map[string]any{"workspace": map[string]any{"path": "/w", "size": "10GB"}},
		},
		"extensions": map[string]any{"profile": "minimal", "additional": []any{"x"}, "auto_install": true},
		"secrets": []any{
			map[string]any{"name": "A", "source": "env", "required": false},
			map[string]any{"name": "B", "source": "file", "path": "p", "mountPath": "/m", "permissions": "0600"},
			map[string]any{"name": "C", "source": "vault", "vaultPath": "x", "vaultKey": "k", "vaultMount": "kv"},
		},
		"providers": map[string]any{
			"fly": map[string]any{"region": "sjc", "autoStopMachines": true, "cpuKind": "shared", "sshPort": 10022},
			"docker": map[string]any{"network": "bridge", "restart": "no", "ports": []any{"1:1"}, "privileged": false,
				"runtime": "auto", "dind": map[string]any{"enabled": true, "mode": "auto", "storageDriver": "vfs", "storageSize": "20GB"}},
			"kubernetes": map[string]any{"namespace": "n", "ingress": map[string]any{"enabled": false}},
			"devpod":     map[string]any{"type": "gcp", "gcp": map[string]any{"diskType": "pd-ssd", "diskSize": 40}},
			"k8s":        map[string]any{"provider": "kind", "clusterName": "c", "version": "v1.35.0", "nodes": 1},
			"e2b":        map[string]any{"templateAlias": "t", "timeout": 300, "reuseTemplate": true, "metadata": map[string]any{"a": "b"}},
			"runpod": map[string]any{"gpuTypeId": "g", "gpuCount": 1, "containerDiskGb": 20, "volumeSizeGb": 10,
				"cloudType": "SECURE", "exposePorts": []any{8080}, "spotBid": 0.5, "startSsh": true},
			"northflank": map[string]any{"projectName": "p", "serviceName": "s", "computePlan": "nf-compute-200", "gpuCount": 1,
				"instances": 1, "volumeSizeGb": 10,
				"ports":       []any{map[string]any{"name": "web", "internalPort": 80, "public": true, "protocol": "HTTP"}},
				"healthCheck": map[string]any{"type": "tcp", "port": 22, "initialDelaySeconds": 0, "periodSeconds": 1, "failureThreshold": 1},
				"autoScaling": map[string]any{"enabled": true, "minInstances": 1, "maxInstances": 3, "targetCpuUtilization": 70, "targetMemoryUtilization": 80}},
		},
	}
}

// set changes (or with del, removes) the value at a dotted path with [i] list indexes.
func set(doc map[string]any, path string, v any, del bool) {
	var cur any = doc
	parts := strings.Split(path, ".")
	for i, p := range parts {
		name, index := p, -1
		if j := strings.IndexByte(p, '['); j >= 0 {
			name = p[:j]
			index, _ = strconv.Atoi(strings.TrimSuffix(p[j+1:], "]"))
		}
		m := cur.(map[string]any)
		last := i == len(parts)-1
		if index < 0 {
			if last {
				if del {
					delete(m, name)
				} else {
					m[name] = v
				}
				return
			}
			cur = m[name]
			continue
		}
		list := m[name].([]any)
		if last {
			list[index] = v
			return
		}
		cur = list[index]
	}
}

type mutation struct {
	path string
	val  any
	del  bool
	diff string
}

func mutations() []mutation {
	var ms []mutation
	add := func(path string, val any, diff string) { ms = append(ms, mutation{path: path, val: val, diff: diff}) }
	enums := []string{"deployment.provider", "deployment.distro", "deployment.resources.gpu.type", "deployment.resources.gpu.tier",
		"extensions.profile", "secrets[0].source", "providers.fly.cpuKind", "providers.docker.network", "providers.docker.restart",
		"providers.docker.runtime", "providers.docker.dind.mode", "providers.docker.dind.storageDriver", "providers.devpod.type",
		"providers.devpod.gcp.diskType", "providers.k8s.provider", "providers.runpod.cloudType",
		"providers.northflank.ports[0].protocol", "providers.northflank.healthCheck.type"}
	for _, p := range enums {
		add(p, "bogus", "")
		add(p, 7, "")
	}
	add("deployment.provider", "packer", "")
	add("deployment.buildFromSource", map[string]any{"enabled": true, "gitRef": "main"}, "buildFromSource")
	add("deployment.buildFromSource", map[string]any{"enabled": false}, "")
	add("deployment.provider", "Docker", "")
	add("providers.runpod.cloudType", "secure", "")
	rpVol := variantBase()["deployment"].(map[string]any)
	rpVol["provider"] = "runpod"
	add("deployment", rpVol, "")
	rpVol = variantBase()["deployment"].(map[string]any)
	rpVol["provider"] = "runpod"
	rpVol["volumes"] = map[string]any{"workspace": map[string]any{"size": "30GB"}}
	add("deployment", rpVol, "runpodVolumeConflict")
	add("providers.runpod", map[string]any{"gpuType": "NVIDIA L4"}, "runpodGPUTiers")
	add("providers.northflank.healthCheck.type", "TCP", "")
	nfGPU := variantBase()["deployment"].(map[string]any)
	nfGPU["provider"] = "northflank"
	nfGPU["resources"].(map[string]any)["gpu"].(map[string]any)["tier"] = "a100"
	add("deployment", nfGPU, "northflankGPUTiers")
	add("deployment.provider", "fly", "flyGPU")
	add("deployment.provider", "e2b", "e2bGPU")
	for _, p := range []string{"runpod", "northflank", "kubernetes", "devpod", "docker-compose"} {
		add("deployment.provider", p, "")
	}
	for _, p := range []string{"deployment.resources.memory", "deployment.resources.gpu.memory", "deployment.volumes.workspace.size", "providers.docker.dind.storageSize"} {
		add(p, "lots", "")
		add(p, "1.5GB", "")
		add(p, 4, "")
		add(p, "4Gi", "sizeForm")
		add(p, "1TB", "sizeForm")
		add(p, "4gb", "sizeForm")
		add(p, "512MB", "")
	}
	add("deployment.resources.memory", "0GB", "zeroSize")
	ints := []struct {
		path   string
		lo, hi int
	}{
		{"deployment.resources.cpus", 1, 0}, {"deployment.resources.gpu.count", 1, 8}, {"providers.fly.sshPort", 1024, 65535},
		{"providers.e2b.timeout", 60, 86400}, {"providers.runpod.gpuCount", 1, 8}, {"providers.runpod.containerDiskGb", 1, 500},
		{"providers.runpod.volumeSizeGb", 0, 2048}, {"providers.runpod.exposePorts[0]", 1, 65535}, {"providers.northflank.gpuCount", 1, 8},
		{"providers.northflank.instances", 0, 50}, {"providers.northflank.volumeSizeGb", 0, 1500},
		{"providers.northflank.ports[0].internalPort", 1, 65535}, {"providers.northflank.healthCheck.port", 1, 65535},
		{"providers.northflank.healthCheck.initialDelaySeconds", 0, 0}, {"providers.northflank.healthCheck.periodSeconds", 1, 0},
		{"providers.northflank.healthCheck.failureThreshold", 1, 0}, {"providers.northflank.autoScaling.minInstances", 1, 50},
		{"providers.northflank.autoScaling.maxInstances", 1, 50}, {"providers.northflank.autoScaling.targetCpuUtilization", 1, 100},
		{"providers.northflank.autoScaling.targetMemoryUtilization", 1, 100}, {"providers.k8s.nodes", 1, 10},
	}
	for _, f := range ints {
		add(f.path, f.lo-1, "")
		add(f.path, f.lo, "")
		add(f.path, "2", "")
		add(f.path, 2.5, "")
		add(f.path, true, "")
		if f.hi > 0 {
			add(f.path, f.hi, "")
			add(f.path, f.hi+1, "")
		}
	}
	add("providers.northflank.autoScaling.minInstances", 3, "") // equal to max is fine
	for _, p := range []string{"deployment.resources.gpu.enabled", "extensions.auto_install", "secrets[0].required",
		"providers.fly.autoStopMachines", "providers.docker.privileged", "providers.docker.dind.enabled", "providers.e2b.reuseTemplate",
		"providers.runpod.startSsh", "providers.northflank.ports[0].public", "providers.northflank.autoScaling.enabled"} {
		add(p, "yes", "")
		add(p, 1, "")
		add(p, false, "")
	}
	for p, v := range map[string]any{"name": "Bad", "version": "v3", "secrets[0].name": "a", "secrets[1].permissions": "644",
		"providers.docker.ports[0]": "80", "providers.e2b.templateAlias": "Bad", "providers.northflank.projectName": "Bad",
		"providers.northflank.serviceName": "1x", "providers.northflank.computePlan": "x", "providers.k8s.version": "1.2",
		"providers.k8s.clusterName": "C", "providers.northflank.ports[0].name": "Web", "providers.runpod.spotBid": -1,
		"providers.e2b.metadata": map[string]any{"a": true}, "deployment": "docker", "secrets": map[string]any{"A": "env"},
		"extensions.active": "x", "providers.docker.ports": "1:1"} {
		add(p, v, "")
	}
	add("version", 3.0, "")
	add("name", strings.Repeat("a", 64), "nameLength")
	add("name", strings.Repeat("a", 63), "")
	for _, p := range []string{"version", "name", "deployment", "deployment.provider", "secrets[0].name", "secrets[0].source",
		"secrets[1].path", "secrets[1].mountPath", "secrets[2].vaultPath", "secrets[2].vaultKey", "providers.northflank.projectName",
		"providers.devpod.type", "providers.northflank.ports[0].internalPort", "providers.northflank.healthCheck.port"} {
		ms = append(ms, mutation{path: p, del: true})
	}
	ms = append(ms, mutation{path: "extensions", del: true, diff: "missingExtensions"})
	// Unknown keys: open blocks agree (we warn), closed blocks differ by design.
	for _, p := range []string{"", "deployment.", "deployment.resources.", "deployment.volumes.workspace.", "secrets[0].", "providers.",
		"providers.fly.", "providers.docker.", "providers.kubernetes.", "providers.devpod.", "providers.k8s."} {
		if p == "secrets[0]." {
			add("secrets[0].vaultKeyy", "x", "")
			continue
		}
		add(p+"zzUnknown", "x", "")
	}
	for _, p := range []string{"extensions.", "deployment.resources.gpu.", "providers.docker.dind.", "providers.e2b.", "providers.runpod.",
		"providers.northflank.", "providers.northflank.healthCheck.", "providers.northflank.autoScaling."} {
		add(p+"zzUnknown", "x", "unknownKeyClosed")
	}
	add("extensions.autoInstall", true, "autoInstall")            // same value as auto_install: warning only
	add("extensions.active", []any{"git"}, "")                    // with profile and additional
	add("extensions", map[string]any{"active": []any{"git"}}, "") // active alone
	add("extensions", map[string]any{"active": []any{"a"}, "additional": []any{"b"}}, "")
	add("extensions", map[string]any{}, "emptyExtensions")
	add("extensions", map[string]any{"profile": "ai-dev"}, "v2DroppedProfile")
	add("extensions", map[string]any{"profile": "ai-dev", "additional": []any{"rust"}}, "v2DroppedProfile")
	add("secrets[0].source", "s3", "s3Optional")
	add("secrets[1].name", "A", "duplicateSecret")
	add("secrets[2].name", "B", "duplicateSecret")
	for _, mp := range []string{"m", "../x", "certs/key.pem", "/a/../b", "/a/", "/a/./b"} {
		add("secrets[1].mountPath", mp, "mountPathClean")
	}
	add("secrets[1].mountPath", "/a/b", "")
	add("secrets[0].mountPath", "rel", "") // ignored (warning) for source env, as by the resolver
	for _, p := range []string{"0:80", "99999:80", "80:0", "65536:1", "1:65536"} {
		add("providers.docker.ports[0]", p, "portRange")
	}
	add("providers.docker.ports[0]", "65535:65535", "")
	add("providers.docker.ports", []any{"1:1", "1:2"}, "portDuplicate")
	add("providers.docker.ports", []any{"8080:80", "08080:81"}, "portDuplicate")
	add("providers.docker.ports", []any{"1:1", "2:1"}, "")
	for _, p := range []string{"127.0.0.1:1:1", "1:1/udp", "1:1/tcp", "0.0.0.0:8080:80/udp"} {
		add("providers.docker.ports[0]", p, "portForm")
	}
	for _, p := range []string{"1:1/sctp", "localhost:1:1", "::1:1:1", "1:1:1:1"} {
		add("providers.docker.ports[0]", p, "")
	}
	add("secrets[0]", map[string]any{"name": "A", "source": "s3", "required": true}, "")
	add("providers.northflank.healthCheck", map[string]any{"type": "http", "port": 80}, "")
	add("providers.northflank.healthCheck", map[string]any{"type": "http", "port": 80, "path": "/"}, "")
	add("providers.northflank.healthCheck", map[string]any{"type": "command", "command": []any{"true"}}, "")
	add("providers.northflank.healthCheck", map[string]any{"type": "command"}, "")
	return ms
}

func TestDifferentialVariants(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	seen := map[string]bool{}
	base, err := yaml.Marshal(variantBase())
	if err != nil {
		t.Fatal(err)
	}
	compare(t, s, "base", base, "", seen)
	ms := mutations()
	for i, m := range ms {
		doc := variantBase()
		set(doc, m.path, m.val, m.del)
		data, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		label := fmt.Sprintf("variant %d %s=%v del=%v", i, m.path, m.val, m.del)
		compare(t, s, label, data, m.diff, seen)
	}
	for k := range intentionalDiffs {
		if !seen[k] {
			t.Errorf("intentional difference %q is never exercised by a variant", k)
		}
	}
	t.Logf("%d variants compared", len(ms)+1)
}
