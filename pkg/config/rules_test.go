package config

import (
	"strings"
	"testing"
)

// base is a minimal valid file; cases append lines after it (line 7 onwards) or replace it.
const base = `version: "3.0"
name: demo
deployment:
  provider: docker
extensions:
  profile: minimal
`

type ruleCase struct {
	name  string
	yaml  string
	field string
	line  int
	col   int
	sev   Severity
	text  string
}

var ruleCases = []ruleCase{
	// Top level.
	{"version missing", "name: demo\ndeployment: {provider: docker}\nextensions: {profile: minimal}\n", "version", 1, 1, SeverityError, `required key "version" is missing`},
	{"version unquoted float", "version: 3.0\nname: demo\ndeployment: {provider: docker}\nextensions: {profile: minimal}\n", "version", 1, 10, SeverityError, "expected a string, got the number 3.0"},
	{"version bad pattern", "version: \"v3\"\nname: demo\ndeployment: {provider: docker}\nextensions: {profile: minimal}\n", "version", 1, 10, SeverityError, `"v3" is not a config version`},
	{"version unknown major", "version: \"2.0\"\nname: demo\ndeployment: {provider: docker}\nextensions: {profile: minimal}\n", "version", 1, 10, SeverityWarning, "unknown config version"},
	{"name uppercase", strings.Replace(base, "name: demo", "name: Demo", 1), "name", 2, 7, SeverityError, `"Demo" is not a valid name`},
	{"name too long", strings.Replace(base, "name: demo", "name: "+strings.Repeat("a", 64), 1), "name", 2, 7, SeverityError, "too long (64 characters, at most 63)"},
	{"name number", strings.Replace(base, "name: demo", "name: 123", 1), "name", 2, 7, SeverityError, "expected a string"},
	{"unknown top key", base + "extentions: {}\n", "extentions", 7, 1, SeverityWarning, `unknown key "extentions"`},
	{"duplicate key", base + "name: other\n", "name", 7, 1, SeverityError, "duplicate key \"name\" (first set at line 2)"},
	{"extensions missing", "version: \"3.0\"\nname: demo\ndeployment: {provider: docker}\n", "extensions", 1, 1, SeverityWarning, "extensions block is missing"},

	// deployment.
	{"no image: released one, warned", base, "deployment.image", 3, 1, SeverityWarning, "the released Sindri image ghcr.io/pacphi/sindri:v3-latest is deployed"},
	{"no image, fedora: its tag", strings.Replace(base, "  provider: docker\n", "  provider: docker\n  distro: fedora\n", 1), "deployment.image", 3, 1, SeverityWarning, "ghcr.io/pacphi/sindri:v3-latest-fedora"},
	{"bad version requirement", strings.Replace(base, "  provider: docker\n", "  provider: docker\n  image_config:\n    registry: ghcr.io/a/b\n    version: \"^^3\"\n", 1), "deployment.image_config.version", 7, 5, SeverityError, "Cargo-style version requirement"},
	{"registry with a scheme", strings.Replace(base, "  provider: docker\n", "  provider: docker\n  image_config:\n    registry: https://ghcr.io/a/b\n", 1), "deployment.image_config.registry", 6, 5, SeverityError, "has a URL scheme"},
	{"buildFromSource refused", strings.Replace(base, "  provider: docker\n", "  provider: docker\n  image: x/y:1\n  buildFromSource:\n    enabled: true\n", 1), "deployment.buildFromSource.enabled", 7, 5, SeverityError, "building the image from source is not supported"},
	{"idle_stop not a duration", strings.Replace(base, "provider: docker", "provider: docker\n  idle_stop: soon", 1), "deployment.idle_stop", 5, 14, SeverityError, `"soon" is not a positive duration`},
	{"idle_stop zero", strings.Replace(base, "provider: docker", "provider: docker\n  idle_stop: 0s", 1), "deployment.idle_stop", 5, 14, SeverityError, "never lengthen it"},
	{"provider missing", "version: \"3.0\"\nname: demo\ndeployment:\n  image: x\nextensions: {profile: minimal}\n", "deployment.provider", 4, 3, SeverityError, `required key "provider" is missing`},
	{"provider packer needs its block", strings.Replace(base, "provider: docker", "provider: packer", 1), "providers.packer", 4, 3, SeverityError, "provider packer needs a providers.packer block"},
	{"provider unknown", strings.Replace(base, "provider: docker", "provider: Docker", 1), "deployment.provider", 4, 13, SeverityError, `unknown provider "Docker"`},
	{"distro enum", strings.Replace(base, "provider: docker", "provider: docker\n  distro: debian", 1), "deployment.distro", 5, 11, SeverityError, `unknown distro "debian"`},
	{"memory unparseable", strings.Replace(base, "provider: docker", "provider: docker\n  resources:\n    memory: lots", 1), "deployment.resources.memory", 6, 13, SeverityError, "invalid size"},
	{"memory decimal", strings.Replace(base, "provider: docker", "provider: docker\n  resources:\n    memory: 1.5GB", 1), "deployment.resources.memory", 6, 13, SeverityError, "invalid size"},
	{"memory Gi portability", strings.Replace(base, "provider: docker", "provider: docker\n  resources:\n    memory: 4Gi", 1), "deployment.resources.memory", 6, 13, SeverityWarning, "not by upstream Sindri"},
	{"cpus zero", strings.Replace(base, "provider: docker", "provider: docker\n  resources:\n    cpus: 0", 1), "deployment.resources.cpus", 6, 11, SeverityError, "0 is out of range; allowed 1 or more"},
	{"cpus string", strings.Replace(base, "provider: docker", "provider: docker\n  resources:\n    cpus: \"2\"", 1), "deployment.resources.cpus", 6, 11, SeverityError, `expected a whole number, got the string "2"`},
	{"gpu tier", strings.Replace(base, "provider: docker", "provider: docker\n  resources:\n    gpu:\n      enabled: true\n      tier: a100", 1), "deployment.resources.gpu.tier", 8, 13, SeverityError, `unknown gpu tier "a100"`},
	{"gpu count", strings.Replace(base, "provider: docker", "provider: docker\n  resources:\n    gpu: {enabled: true, count: 9}", 1), "deployment.resources.gpu.count", 6, 33, SeverityError, "9 is out of range; allowed 1 to 8"},
	{"gpu enabled yes", strings.Replace(base, "provider: docker", "provider: docker\n  resources:\n    gpu:\n      enabled: yes", 1), "deployment.resources.gpu.enabled", 7, 16, SeverityError, "expected true or false"},
	{"gpu unknown key", strings.Replace(base, "provider: docker", "provider: docker\n  resources:\n    gpu:\n      enable: true", 1), "deployment.resources.gpu.enable", 7, 7, SeverityWarning, `did you mean "enabled"`},
	{"fly gpu retired", strings.Replace(base, "provider: docker", "provider: fly\n  resources:\n    gpu:\n      enabled: true", 1), "deployment.resources.gpu.enabled", 7, 7, SeverityError, "retired on 2026-08-01"},
	{"e2b gpu", strings.Replace(base, "provider: docker", "provider: e2b\n  resources:\n    gpu:\n      enabled: true", 1), "deployment.resources.gpu.enabled", 7, 7, SeverityError, "E2B sandboxes have no GPUs"},
	{"misplaced gpu", strings.Replace(base, "provider: docker", "provider: docker\n  gpu: {enabled: true}", 1), "deployment.gpu", 5, 3, SeverityWarning, "deployment.resources.gpu"},
	{"workspace zero on docker", strings.Replace(base, "provider: docker", "provider: docker\n  volumes:\n    workspace:\n      size: 0GB", 1), "deployment.volumes.workspace.size", 7, 7, SeverityError, "zero workspace size"},
	{"image_config registry", strings.Replace(base, "provider: docker", "provider: docker\n  image_config:\n    version: \"^3.0.0\"", 1), "deployment.image_config.registry", 6, 5, SeverityError, `required key "registry" is missing`},
	{"image_config strategy", strings.Replace(base, "provider: docker", "provider: docker\n  image_config:\n    registry: r\n    resolution_strategy: latest_stable", 1), "deployment.image_config.resolution_strategy", 7, 26, SeverityError, `unknown resolution strategy "latest_stable"`},
	{"image_config pull policy casing", strings.Replace(base, "provider: docker", "provider: docker\n  image_config:\n    registry: r\n    pull_policy: always", 1), "deployment.image_config.pull_policy", 7, 18, SeverityError, `use "Always"`},
	{"image_config digest", strings.Replace(base, "provider: docker", "provider: docker\n  image_config:\n    registry: r\n    digest: sha256:abc", 1), "deployment.image_config.digest", 7, 13, SeverityError, "not an image digest"},

	// extensions.
	{"profile enum", strings.Replace(base, "profile: minimal", "profile: ai-devs", 1), "extensions.profile", 6, 12, SeverityError, `unknown extension profile "ai-devs"`},
	{"V2 profile ai-dev", strings.Replace(base, "profile: minimal", "profile: ai-dev", 1), "extensions.profile", 6, 12, SeverityWarning, "V2 profile that V3 dropped"},
	{"V2 profile with active", strings.Replace(base, "profile: minimal", "profile: ai-dev\n  active: [git]", 1), "extensions.active", 7, 3, SeverityError, "mutually exclusive"},
	{"profile and active", base + "  active: [git]\n", "extensions.active", 7, 3, SeverityError, "mutually exclusive"},
	{"active and additional", strings.Replace(base, "profile: minimal", "active: [git]\n  additional: [x]", 1), "extensions.additional", 7, 3, SeverityError, "additional adds to a profile"},
	{"neither profile nor active", strings.Replace(base, "profile: minimal", "auto_install: false", 1), "extensions", 6, 3, SeverityWarning, "neither profile nor active"},
	{"autoInstall camel", base + "  autoInstall: false\n", "extensions.autoInstall", 7, 3, SeverityWarning, "camelCase spelling"},
	{"autoInstall conflict", base + "  autoInstall: false\n  auto_install: true\n", "extensions.autoInstall", 7, 3, SeverityError, "contradicts"},
	{"active item type", strings.Replace(base, "profile: minimal", "active: [git, 3]", 1), "extensions.active[1]", 6, 17, SeverityError, "expected a string"},

	// secrets.
	{"secret name pattern", base + "secrets:\n  - name: gh_token\n    source: env\n", "secrets[0].name", 8, 11, SeverityError, "not an environment variable name"},
	{"secret source enum", base + "secrets:\n  - name: A\n    source: aws\n", "secrets[0].source", 9, 13, SeverityError, `unknown secret source "aws"`},
	{"secret source missing", base + "secrets:\n  - name: A\n", "secrets[0].source", 8, 5, SeverityError, `required key "source" is missing`},
	{"file secret needs mountPath", base + "secrets:\n  - name: A\n    source: env\n  - name: B\n    source: file\n    path: ./b\n", "secrets[1].mountPath", 10, 5, SeverityError, `required key "mountPath" is missing`},
	{"vault secret needs key", base + "secrets:\n  - name: A\n    source: vault\n    vaultPath: dev/x\n", "secrets[0].vaultKey", 8, 5, SeverityError, `required key "vaultKey" is missing`},
	{"permissions pattern", base + "secrets:\n  - name: A\n    source: file\n    path: a\n    mountPath: /a\n    permissions: \"644\"\n", "secrets[0].permissions", 12, 18, SeverityError, "not octal file permissions"},
	{"s3 required", base + "secrets:\n  - name: A\n    source: s3\n    required: true\n", "secrets[0].source", 9, 13, SeverityError, "s3 secret source is not implemented"},
	{"s3 optional", base + "secrets:\n  - name: A\n    source: s3\n", "secrets[0].source", 9, 13, SeverityWarning, "will be skipped"},
	{"secret field for other source", base + "secrets:\n  - name: A\n    source: env\n    vaultKey: k\n", "secrets[0].vaultKey", 10, 5, SeverityWarning, "only used with source: vault"},
	{"duplicate secret", base + "secrets:\n  - {name: A, source: env}\n  - {name: A, source: env}\n", "secrets[1].name", 9, 12, SeverityError, "declared twice (first as secrets[0]) (hint: first declared at line 8;"},
	{"duplicate secret across sources", base + "secrets:\n  - name: A\n    source: env\n  - name: B\n    source: env\n  - name: A\n    source: vault\n    vaultPath: x\n    vaultKey: k\n", "secrets[2].name", 12, 11, SeverityError, "first declared at line 8"},
	{"mountPath relative dotdot", base + "secrets:\n  - name: A\n    source: file\n    path: a\n    mountPath: ../x\n", "secrets[0].mountPath", 11, 16, SeverityError, `mountPath "../x" must be an absolute, clean path (hint: write an absolute path without . or .. parts or a trailing /, e.g. /x)`},
	{"mountPath relative", base + "secrets:\n  - name: A\n    source: file\n    path: a\n    mountPath: certs/key.pem\n", "secrets[0].mountPath", 11, 16, SeverityError, "e.g. /certs/key.pem"},
	{"mountPath unclean", base + "secrets:\n  - name: A\n    source: file\n    path: a\n    mountPath: /a/../b\n", "secrets[0].mountPath", 11, 16, SeverityError, `"/a/../b" must be an absolute, clean path`},
	{"mountPath trailing slash", base + "secrets:\n  - {name: A, source: file, path: a, mountPath: /certs/}\n", "secrets[0].mountPath", 8, 49, SeverityError, "e.g. /certs)"},
	{"mountPath for env only warned", base + "secrets:\n  - name: A\n    source: env\n    mountPath: rel\n", "secrets[0].mountPath", 10, 5, SeverityWarning, "only used with source: file"},
	{"secrets not a list", base + "secrets:\n  A: env\n", "secrets", 8, 3, SeverityError, "expected a list, got a mapping"},

	// providers.
	{"fly sshPort range", strings.Replace(base, "provider: docker", "provider: fly", 1) + "providers:\n  fly:\n    sshPort: 22\n", "providers.fly.sshPort", 9, 14, SeverityError, "22 is out of range; allowed 1024 to 65535"},
	{"fly cpuKind", strings.Replace(base, "provider: docker", "provider: fly", 1) + "providers:\n  fly:\n    cpuKind: dedicated\n", "providers.fly.cpuKind", 9, 14, SeverityError, `unknown cpu kind "dedicated"`},
	{"docker ports pattern", base + "providers:\n  docker:\n    ports: [\"8080\"]\n", "providers.docker.ports[0]", 9, 13, SeverityError, "not a HOST:CONTAINER port mapping"},
	{"docker port host zero", base + "providers:\n  docker:\n    ports:\n      - \"8080:80\"\n      - \"0:80\"\n", "providers.docker.ports[1]", 11, 9, SeverityError, `host port "0" is not 1-65535`},
	{"docker port host too big", base + "providers:\n  docker:\n    ports:\n      - 99999:80\n", "providers.docker.ports[0]", 10, 9, SeverityError, `host port "99999" is not 1-65535`},
	{"docker port container zero", base + "providers:\n  docker:\n    ports:\n      - \"80:0\"\n", "providers.docker.ports[0]", 10, 9, SeverityError, `container port "0" is not 1-65535`},
	{"docker port bad proto", base + "providers:\n  docker:\n    ports:\n      - \"80:80/sctp\"\n", "providers.docker.ports[0]", 10, 9, SeverityError, "protocol must be tcp or udp"},
	{"docker port bad ip", base + "providers:\n  docker:\n    ports:\n      - \"localhost:80:80\"\n", "providers.docker.ports[0]", 10, 9, SeverityError, `"localhost" is not an IP address`},
	{"docker port ipv6 fields", base + "providers:\n  docker:\n    ports:\n      - \"::1:80:80\"\n", "providers.docker.ports[0]", 10, 9, SeverityError, "expected [IP:]HOST:CONTAINER[/tcp|/udp]"},
	{"docker port signed", base + "providers:\n  docker:\n    ports:\n      - \"+80:80\"\n", "providers.docker.ports[0]", 10, 9, SeverityError, `host port "+80" is not 1-65535`},
	{"docker port duplicate", base + "providers:\n  docker:\n    ports:\n      - \"8080:80\"\n      - \"8080:81\"\n", "providers.docker.ports[1]", 11, 9, SeverityError, "host port 8080/tcp on 127.0.0.1 (the default bind address) is published twice (hint: first published at line 10;"},
	{"docker port duplicate explicit tcp", base + "providers:\n  docker:\n    ports:\n      - \"8080:80\"\n      - \"08080:81/tcp\"\n", "providers.docker.ports[1]", 11, 9, SeverityError, "first published at line 10"},
	{"docker port duplicate with ip", base + "providers:\n  docker:\n    ports:\n      - \"127.0.0.1:53:53/udp\"\n      - \"8080:80\"\n      - \"127.0.0.1:53:5353/udp\"\n", "providers.docker.ports[2]", 12, 9, SeverityError, "host port 53/udp on 127.0.0.1 is published twice (hint: first published at line 10;"},
	{"docker port duplicate default address", base + "providers:\n  docker:\n    ports:\n      - \"8080:80\"\n      - \"127.0.0.1:8080:81\"\n", "providers.docker.ports[1]", 11, 9, SeverityError, "host port 8080/tcp on 127.0.0.1 is published twice (hint: first published at line 10;"},
	{"docker port duplicate flow", base + "providers:\n  docker:\n    ports:\n      [1:1, \"2:2\", 1:3]\n", "providers.docker.ports[2]", 10, 20, SeverityError, "published twice"},
	{"compose port duplicate", strings.Replace(base, "provider: docker", "provider: docker-compose", 1) + "providers:\n  docker-compose:\n    ports: [\"9:9\", \"9:10\"]\n", "providers.docker-compose.ports[1]", 9, 20, SeverityError, "published twice"},
	{"docker restart no stays string", base + "providers:\n  docker:\n    restart: never\n", "providers.docker.restart", 9, 14, SeverityError, `unknown restart policy "never"`},
	{"dind storage size", base + "providers:\n  docker:\n    dind:\n      storageSize: 20G\n", "providers.docker.dind.storageSize", 10, 20, SeverityWarning, "not by upstream Sindri"},
	{"dind mode", base + "providers:\n  docker:\n    dind: {mode: rootless}\n", "providers.docker.dind.mode", 9, 18, SeverityError, `unknown dind mode "rootless"`},
	{"compose and docker", strings.Replace(base, "provider: docker", "provider: docker-compose", 1) + "providers:\n  docker: {}\n  docker-compose:\n    ports: [\"1:1\"]\n", "providers.docker-compose", 9, 3, SeverityError, "are both set"},
	{"other provider block", base + "providers:\n  fly:\n    region: ams\n", "providers.fly", 8, 3, SeverityWarning, "providers.fly is ignored: deployment.provider is docker"},
	{"unused field", strings.Replace(base, "provider: docker", "provider: fly", 1) + "providers:\n  fly:\n    highAvailability: true\n", "providers.fly.highAvailability", 9, 5, SeverityWarning, "has no effect with provider fly"},
	{"devpod type required", strings.Replace(base, "provider: docker", "provider: devpod", 1) + "providers:\n  devpod:\n    buildRepository: r\n", "providers.devpod.type", 9, 5, SeverityError, `required key "type" is missing`},
	{"devpod gcp diskType", strings.Replace(base, "provider: docker", "provider: devpod", 1) + "providers:\n  devpod:\n    type: gcp\n    gcp: {diskType: ssd}\n", "providers.devpod.gcp.diskType", 10, 21, SeverityError, `unknown disk type "ssd"`},
	{"k8s version", base + "providers:\n  k8s:\n    version: \"1.35\"\n", "providers.k8s.version", 9, 14, SeverityError, "not a Kubernetes version"},
	{"e2b timeout", strings.Replace(base, "provider: docker", "provider: e2b", 1) + "providers:\n  e2b:\n    timeout: 30\n", "providers.e2b.timeout", 9, 14, SeverityError, "30 is out of range; allowed 60 to 86400"},
	{"e2b metadata value", strings.Replace(base, "provider: docker", "provider: e2b", 1) + "providers:\n  e2b:\n    metadata:\n      disposable: true\n", "providers.e2b.metadata.disposable", 10, 19, SeverityError, "expected a string, got the boolean true"},
	{"runpod cloudType casing", strings.Replace(base, "provider: docker", "provider: runpod", 1) + "providers:\n  runpod:\n    cloudType: secure\n", "providers.runpod.cloudType", 9, 16, SeverityError, `use "SECURE"`},
	{"runpod snake alias", strings.Replace(base, "provider: docker", "provider: runpod", 1) + "providers:\n  runpod:\n    container_disk_gb: 600\n", "providers.runpod.container_disk_gb", 9, 24, SeverityError, "600 is out of range; allowed 1 to 500"},
	{"runpod alias twice", strings.Replace(base, "provider: docker", "provider: runpod", 1) + "providers:\n  runpod:\n    gpuTypeId: a\n    gpu_type: b\n", "providers.runpod.gpu_type", 10, 5, SeverityError, "both are set"},
	{"runpod gpuType read as gpuTypeId", strings.Replace(base, "provider: docker", "provider: runpod", 1) + "providers:\n  runpod:\n    gpuType: NVIDIA RTX 4090\n", "providers.runpod.gpuTypeId", 9, 14, SeverityError, `did you mean "NVIDIA GeForce RTX 4090"`},
	{"runpod gpuTypeId outside the catalogue", strings.Replace(base, "provider: docker", "provider: runpod", 1) + "providers:\n  runpod:\n    gpuTypeId: Imaginary X1\n", "providers.runpod.gpuTypeId", 9, 5, SeverityWarning, "not in sindri's catalogue"},
	{"runpod misspelt id gives way to a model tier", strings.Replace(base, "provider: docker", "provider: runpod\n  resources:\n    gpu:\n      enabled: true\n      tier: a100", 1) + "providers:\n  runpod:\n    gpuType: NVIDIA A100 80GB\n", "providers.runpod.gpuTypeId", 13, 5, SeverityWarning, `the tier "a100" asks for "NVIDIA A100 80GB PCIe" instead`},
	{"runpod region", strings.Replace(base, "provider: docker", "provider: runpod", 1) + "providers:\n  runpod:\n    region: MARS-1\n", "providers.runpod.region", 9, 13, SeverityError, `unknown RunPod data centre "MARS-1"`},
	{"runpod cpuInstanceId", strings.Replace(base, "provider: docker", "provider: runpod", 1) + "providers:\n  runpod:\n    cpuInstanceId: cpu9z-4-8\n", "providers.runpod.cpuInstanceId", 9, 5, SeverityError, "unknown RunPod CPU flavour"},
	{"runpod spotBid negative", strings.Replace(base, "provider: docker", "provider: runpod", 1) + "providers:\n  runpod:\n    spotBid: -1\n", "providers.runpod.spotBid", 9, 14, SeverityError, "out of range"},
	{"runpod exposePorts range", strings.Replace(base, "provider: docker", "provider: runpod", 1) + "providers:\n  runpod:\n    exposePorts: [80, 70000]\n", "providers.runpod.exposePorts[1]", 9, 23, SeverityError, "70000 is out of range"},
	{"northflank projectName required", strings.Replace(base, "provider: docker", "provider: northflank", 1) + "providers:\n  northflank:\n    instances: 2\n", "providers.northflank.projectName", 9, 5, SeverityError, `required key "projectName" is missing`},
	{"northflank snake alias accepted", strings.Replace(base, "provider: docker", "provider: northflank", 1) + "providers:\n  northflank:\n    project_name: p\n    compute_plan: big\n", "providers.northflank.compute_plan", 10, 19, SeverityError, "not a Northflank compute plan"},
	{"northflank health TCP", strings.Replace(base, "provider: docker", "provider: northflank", 1) + "providers:\n  northflank:\n    projectName: p\n    healthCheck:\n      type: TCP\n", "providers.northflank.healthCheck.type", 11, 13, SeverityError, `use "tcp"`},
	{"northflank http check needs path", strings.Replace(base, "provider: docker", "provider: northflank", 1) + "providers:\n  northflank:\n    projectName: p\n    health_check:\n      type: http\n      port: 80\n", "providers.northflank.health_check.path", 11, 7, SeverityError, `required key "path" is missing`},
	{"northflank port protocol", strings.Replace(base, "provider: docker", "provider: northflank", 1) + "providers:\n  northflank:\n    projectName: p\n    ports:\n      - {name: web, internalPort: 80, protocol: http}\n", "providers.northflank.ports[0].protocol", 11, 49, SeverityError, `use "HTTP"`},
	{"northflank instances", strings.Replace(base, "provider: docker", "provider: northflank", 1) + "providers:\n  northflank:\n    projectName: p\n    instances: 51\n", "providers.northflank.instances", 10, 16, SeverityError, "51 is out of range; allowed 0 to 50"},
	{"providers packer", base + "providers:\n  packer: {cloud: aws}\n", "providers.packer", 8, 3, SeverityWarning, "providers.packer is ignored: deployment.provider is docker"},
}

func TestRules(t *testing.T) {
	t.Parallel()
	for _, tc := range ruleCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, diags := Load("sindri.yaml", []byte(tc.yaml))
			for _, d := range diags {
				if d.Field == tc.field && d.Severity == tc.sev && strings.Contains(d.Message+" (hint: "+d.Hint+")", tc.text) {
					if d.Line != tc.line || d.Col != tc.col {
						t.Errorf("%s at %d:%d, want %d:%d", tc.field, d.Line, d.Col, tc.line, tc.col)
					}
					if d.File != "sindri.yaml" {
						t.Errorf("File = %q", d.File)
					}
					if got := c == nil; got != diags.HasErrors() {
						t.Errorf("config nil = %v, HasErrors = %v", got, diags.HasErrors())
					}
					return
				}
			}
			t.Errorf("no %s on %s containing %q; got:\n%s", tc.sev, tc.field, tc.text, render(diags))
		})
	}
}

func render(ds Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString("  " + d.String() + "\n")
	}
	return b.String()
}

// TestAllProblemsAtOnce checks that one pass reports every error, not just the first.
func TestAllProblemsAtOnce(t *testing.T) {
	t.Parallel()
	src := "version: 3\nname: Bad_Name\ndeployment:\n  provider: fly\n  resources:\n    memory: 4XB\n    cpus: -1\n    gpu: {enabled: true, tier: a100}\nextensions:\n  profile: nope\nsecrets:\n  - {name: x, source: vault}\n"
	c, diags := Load("f.yaml", []byte(src))
	if c != nil {
		t.Fatal("config returned despite errors")
	}
	want := []string{"version", "name", "deployment.resources.memory", "deployment.resources.cpus",
		"deployment.resources.gpu.tier", "extensions.profile", "secrets[0].name", "secrets[0].vaultPath",
		"secrets[0].vaultKey", "deployment.resources.gpu.enabled"}
	errs := diags.Errors()
	for _, f := range want {
		found := false
		for _, d := range errs {
			found = found || d.Field == f
		}
		if !found {
			t.Errorf("missing error for %s; got:\n%s", f, render(errs))
		}
	}
	for i := 1; i < len(diags); i++ {
		if diags[i].Line < diags[i-1].Line {
			t.Errorf("diagnostics not in file order at %d", i)
		}
	}
	err := diags.Err()
	if err == nil || !strings.Contains(err.Error(), "f.yaml:8:") {
		t.Errorf("Err() = %v", err)
	}
}

func TestDiagnosticString(t *testing.T) {
	t.Parallel()
	d := Diagnostic{File: "sindri.yaml", Line: 3, Col: 9, Field: "deployment.resources.gpu.tier", Severity: SeverityError,
		Message: `unknown gpu tier "a100"`, Hint: "valid: gpu-small, gpu-medium, gpu-large, gpu-xlarge"}
	want := `sindri.yaml:3:9: error: deployment.resources.gpu.tier: unknown gpu tier "a100" (hint: valid: gpu-small, gpu-medium, gpu-large, gpu-xlarge)`
	if got := d.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	w := Diagnostic{File: "f", Severity: SeverityWarning, Message: "m"}
	if got := w.String(); got != "f: warning: m" {
		t.Errorf("no-position String() = %q", got)
	}
}
