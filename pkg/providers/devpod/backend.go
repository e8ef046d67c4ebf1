package devpod

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// backend is one value of providers.devpod.type: the devpod provider it becomes and how the
// config's sub-block maps onto that provider's options.
type backend struct {
	// Type is the sindri.yaml value.
	Type string
	// Provider is the devpod provider's name ("gcloud" for type gcp).
	Provider string
	// Source is what `devpod provider add` is given: built in, or a pinned release.
	Source string
	// Machine backends create a VM per workspace; they need a persistent DEVPOD_HOME.
	Machine bool
	// Credentials are the executor variables passed to devpod for this backend; Secret
	// marks those whose values are secrets (redacted from every line).
	Credentials []string
	Secret      []string
	// RequiredCredential is a credential without which the backend cannot work.
	RequiredCredential string
	// options maps the config onto the provider's options; required are the options that
	// must end up set.
	options  func(c *config.Config, labels map[string]string) (opts map[string]string, warnings []string)
	required []requiredOption
}

// requiredOption is an option devpod cannot run without (it never prompts without a
// terminal): set from its sindri.yaml key, else from the first executor variable of Vars
// that is set, the variables the clouds' own CLIs read.
type requiredOption struct {
	Option string
	Key    string
	Vars   []string
}

// backends is every providers.devpod.type, by type. Option names and release tags are those
// of devpod v0.6.15's providers (spec/provider-apis/e2b-devpod.md §6.6).
var backends = map[string]*backend{
	"docker": {Type: "docker", Provider: "docker", Source: "docker",
		options: func(c *config.Config, _ map[string]string) (map[string]string, []string) {
			o := map[string]string{}
			if d := c.Providers.DevPod.Docker; d != nil {
				set(o, "DOCKER_HOST", d.DockerHost)
			}
			return o, nil
		}},
	"kubernetes": {Type: "kubernetes", Provider: "kubernetes", Source: "kubernetes",
		Credentials: []string{"KUBECONFIG"},
		options:     kubernetesOptions},
	"aws": {Type: "aws", Provider: "aws", Source: "aws@v0.0.17", Machine: true,
		Credentials: []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"},
		Secret:      []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"},
		options:     awsOptions,
		required:    []requiredOption{{"AWS_REGION", "providers.devpod.aws.region", []string{"AWS_REGION", "AWS_DEFAULT_REGION"}}}},
	"gcp": {Type: "gcp", Provider: "gcloud", Source: "gcloud@v0.0.12", Machine: true,
		Credentials: []string{"GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_AUTH_ACCESS_TOKEN"},
		Secret:      []string{"CLOUDSDK_AUTH_ACCESS_TOKEN"},
		options:     gcloudOptions,
		required: []requiredOption{{"PROJECT", "providers.devpod.gcp.project", []string{"CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT"}},
			{"ZONE", "providers.devpod.gcp.zone", []string{"CLOUDSDK_COMPUTE_ZONE"}}}},
	"azure": {Type: "azure", Provider: "azure", Source: "azure@v0.11.0", Machine: true,
		Credentials: []string{"AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"},
		Secret:      []string{"AZURE_CLIENT_SECRET"},
		options:     azureOptions,
		required: []requiredOption{{"AZURE_SUBSCRIPTION_ID", "providers.devpod.azure.subscription", []string{"AZURE_SUBSCRIPTION_ID"}},
			{"AZURE_RESOURCE_GROUP", "providers.devpod.azure.resourceGroup", []string{"AZURE_RESOURCE_GROUP"}},
			{"AZURE_REGION", "providers.devpod.azure.location", nil}}},
	// The token is a credential: the provider's TOKEN option reads $DIGITALOCEAN_TOKEN, so
	// it is passed in devpod's environment, never as an option in argv.
	"digitalocean": {Type: "digitalocean", Provider: "digitalocean", Source: "digitalocean@v0.0.2", Machine: true,
		Credentials: []string{"DIGITALOCEAN_TOKEN"}, Secret: []string{"DIGITALOCEAN_TOKEN"}, RequiredCredential: "DIGITALOCEAN_TOKEN",
		options:  digitaloceanOptions,
		required: []requiredOption{{"REGION", "providers.devpod.digitalocean.region", nil}}},
	"ssh": {Type: "ssh", Provider: "ssh", Source: "ssh@v0.0.16",
		options:  sshOptions,
		required: []requiredOption{{"HOST", "providers.devpod.ssh.host", nil}}},
}

// credentialNames is every backend's credential variables, sorted, for Capabilities.
func credentialNames() []string {
	var out []string
	for _, b := range backends {
		for _, c := range b.Credentials {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

// backendOf returns the backend of c's providers.devpod.type; ErrInvalidSpec names the known
// ones.
func backendOf(c *config.Config) (*backend, error) {
	t := "docker"
	if dp := c.Providers.DevPod; dp != nil && dp.Type != "" {
		t = dp.Type
	}
	b, ok := backends[t]
	if !ok {
		known := slices.Sorted(maps.Keys(backends))
		return nil, fmt.Errorf("%s: providers.devpod.type %q is not a backend this provider knows (known: %s): %w", Name, t, strings.Join(known, ", "), providers.ErrInvalidSpec)
	}
	return b, nil
}

// resolveOptions returns the backend's options for c, filling required ones from the
// executor's variables (lookup) when the config leaves them out. ErrInvalidSpec names the
// key and the variables of a required option set nowhere.
func (b *backend) resolveOptions(c *config.Config, labels map[string]string, lookup func(string) string) (map[string]string, []string, error) {
	opts, warnings := b.options(c, labels)
	// A GPU model tier picks the instance type (or, on kubernetes, the node's GPU product):
	// the same decision config validation made (config.DevPodGPU, pkg/catalog/devpod.go).
	switch ch := c.DevPodGPU(); {
	case ch.Err != "":
		return nil, nil, fmt.Errorf("%s: %s: %s: %w", Name, ch.Field, ch.Err, providers.ErrInvalidSpec)
	case ch.Option == "NODE_SELECTOR" && opts[ch.Option] != "":
		opts[ch.Option] += "," + ch.Value
	case ch.Value != "":
		opts[ch.Option] = ch.Value
	}
	for _, r := range b.required {
		for _, v := range r.Vars {
			if opts[r.Option] == "" {
				set(opts, r.Option, lookup(v))
			}
		}
		if opts[r.Option] == "" {
			where := r.Key
			if len(r.Vars) > 0 {
				where += " (or the executor variable " + strings.Join(r.Vars, " or ") + ")"
			}
			return nil, nil, fmt.Errorf("%s: backend %s needs %s for devpod option %s: %w", Name, b.Type, where, r.Option, providers.ErrInvalidSpec)
		}
	}
	return opts, warnings, nil
}

func set(o map[string]string, k, v string) {
	if v != "" {
		o[k] = v
	}
}

func setInt(o map[string]string, k string, v *int) {
	if v != nil {
		o[k] = strconv.Itoa(*v)
	}
}

// labelValue is what clouds and Kubernetes accept as a tag or label value.
var labelValue = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$`)

// tags returns the labels whose values every backend accepts (repository names hold a '/'),
// sorted by key, as key=value pairs: they let orphaned VMs and pods be found.
func tags(labels map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if labelValue.MatchString(labels[k]) {
			out = append(out, k+"="+labels[k])
		}
	}
	return out
}

func kubernetesOptions(c *config.Config, labels map[string]string) (map[string]string, []string) {
	o := map[string]string{}
	if k := c.Providers.DevPod.Kubernetes; k != nil {
		set(o, "KUBERNETES_NAMESPACE", k.Namespace)
		set(o, "KUBERNETES_CONTEXT", k.Context)
		// devpod's option is STORAGE_CLASS; KUBERNETES_STORAGE_CLASS is only warned about.
		set(o, "STORAGE_CLASS", k.StorageClass)
		var sel []string
		for _, key := range slices.Sorted(maps.Keys(k.NodeSelector)) {
			sel = append(sel, key+"="+k.NodeSelector[key])
		}
		set(o, "NODE_SELECTOR", strings.Join(sel, ","))
	}
	res := c.Deployment.Resources
	var r []string
	if n := res.CPUCount(); n > 0 {
		r = append(r, "requests.cpu="+strconv.Itoa(n), "limits.cpu="+strconv.Itoa(n))
	}
	if mb := res.MemoryMB(); mb > 0 {
		r = append(r, fmt.Sprintf("requests.memory=%dMi", mb), fmt.Sprintf("limits.memory=%dMi", mb))
	}
	set(o, "RESOURCES", strings.Join(r, ","))
	if gb := workspaceGB(c); gb > 0 {
		o["DISK_SIZE"] = fmt.Sprintf("%dGi", gb)
	}
	set(o, "LABELS", strings.Join(tags(labels), ","))
	return o, nil
}

func awsOptions(c *config.Config, labels map[string]string) (map[string]string, []string) {
	o := map[string]string{}
	if a := c.Providers.DevPod.AWS; a != nil {
		set(o, "AWS_REGION", a.Region)
		set(o, "AWS_INSTANCE_TYPE", a.InstanceType)
		setInt(o, "AWS_DISK_SIZE", a.DiskSize)
		if a.UseSpot != nil {
			o["AWS_USE_SPOT_INSTANCE"] = strconv.FormatBool(*a.UseSpot)
		}
		set(o, "AWS_SUBNET_ID", a.SubnetID)
		set(o, "AWS_SECURITY_GROUP_ID", a.SecurityGroupID)
	}
	var t []string
	for _, kv := range tags(labels) {
		k, v, _ := strings.Cut(kv, "=")
		t = append(t, "Name="+k+",Value="+v)
	}
	set(o, "AWS_INSTANCE_TAGS", strings.Join(t, " "))
	return o, nil
}

func gcloudOptions(c *config.Config, _ map[string]string) (map[string]string, []string) {
	o := map[string]string{}
	var warn []string
	if g := c.Providers.DevPod.GCP; g != nil {
		set(o, "PROJECT", g.Project)
		set(o, "ZONE", g.Zone)
		set(o, "MACHINE_TYPE", g.MachineType)
		setInt(o, "DISK_SIZE", g.DiskSize)
		if g.DiskType != "" {
			warn = append(warn, fmt.Sprintf("providers.devpod.gcp.diskType %q is not applied: devpod's gcloud provider has no disk type option", g.DiskType))
		}
	}
	warn = append(warn, "gcloud VMs carry no sindri labels (the gcloud provider has no label option): find orphans by the workspace id in the VM name")
	return o, warn
}

func azureOptions(c *config.Config, labels map[string]string) (map[string]string, []string) {
	o := map[string]string{}
	if a := c.Providers.DevPod.Azure; a != nil {
		set(o, "AZURE_SUBSCRIPTION_ID", a.Subscription)
		set(o, "AZURE_RESOURCE_GROUP", a.ResourceGroup)
		set(o, "AZURE_REGION", a.Location)
		set(o, "AZURE_INSTANCE_SIZE", a.VMSize)
		setInt(o, "AZURE_DISK_SIZE", a.DiskSize)
	}
	set(o, "AZURE_TAGS", strings.Join(tags(labels), ","))
	return o, nil
}

func digitaloceanOptions(c *config.Config, _ map[string]string) (map[string]string, []string) {
	o := map[string]string{}
	if d := c.Providers.DevPod.DigitalOcean; d != nil {
		set(o, "REGION", d.Region)
		set(o, "MACHINE_TYPE", d.Size)
		setInt(o, "DISK_SIZE", d.DiskSize)
	}
	return o, []string{"droplets carry no sindri labels (the digitalocean provider has no tag option): find orphans by the workspace id in the droplet name"}
}

func sshOptions(c *config.Config, _ map[string]string) (map[string]string, []string) {
	o := map[string]string{}
	if s := c.Providers.DevPod.SSH; s != nil && s.Host != "" {
		host := s.Host
		if s.User != "" {
			host = s.User + "@" + host
		}
		o["HOST"] = host
		setInt(o, "PORT", s.Port)
		if s.KeyPath != "" {
			o["EXTRA_FLAGS"] = "-i " + s.KeyPath
		}
	}
	return o, nil
}

// workspaceGB is deployment.volumes.workspace.size in GiB, or 0.
func workspaceGB(c *config.Config) int64 {
	if w := c.Deployment.Volumes.Workspace; w != nil {
		return w.SizeGB()
	}
	return 0
}
