package vm

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// SourceName is the name of the one source block of every template: builds are
// "<builder>.sindri" (amazon-ebs.sindri), which -only and the machine-readable target use.
const SourceName = "sindri"

// ManifestFile is where the manifest post-processor writes, next to the template.
const ManifestFile = "manifest.json"

// Input is what a template is rendered from.
type Input struct {
	// Config is providers.packer with the config's defaults applied.
	Config *config.PackerConfig
	// Mode is the template dialect for the Packer that will run it.
	Mode Mode
	// Labels are the job's labels; they go on the image and the builder instance.
	Labels map[string]string
	// Null renders Packer's null builder in place of the cloud's source and a local echo per
	// script in place of running it (Config.NullBuilder).
	Null bool
}

// Rendered is a rendered template and its scripts.
type Rendered struct {
	// Files maps a path relative to the template directory to its content: the template
	// (Template) and scripts/<name>.sh.
	Files map[string]string
	// Template is the template's file name: "<cloud>.pkr.hcl".
	Template string
	// Builder is the builder type (amazon-ebs, azure-arm, googlecompute, oracle-oci,
	// alicloud-ecs, or null for the test cloud).
	Builder string
	// Warnings are settings the build treats differently from how they read.
	Warnings []string
}

// Source returns the build's name, "<builder>.sindri".
func (r *Rendered) Source() string { return r.Builder + "." + SourceName }

// ErrRefused is matched by Render's error for a setting combination that cannot work on the
// chosen cloud or Packer (a cloud trap); it also matches providers.ErrInvalidSpec.
var ErrRefused = fmt.Errorf("template refused: %w", providers.ErrInvalidSpec)

// RefusedError names the setting that was refused and how to fix it.
type RefusedError struct {
	Setting string
	Reason  string
	Hint    string
}

// Error implements error.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("providers.packer.%s: %s: %s", e.Setting, e.Reason, e.Hint)
}

// Unwrap returns ErrRefused.
func (e *RefusedError) Unwrap() error { return ErrRefused }

// render is one template being written.
type render struct {
	in       Input
	cloud    cloud
	cfg      *config.PackerConfig
	file     *hclwrite.File // locals, source and build
	head     *hclwrite.File // the packer block
	vars     *hclwrite.File // variables, declared as the source needs them
	warnings []string
}

// cloud is how one cloud's source block is written.
type cloud struct {
	builder string
	// plugin is the required_plugins source of the builder (ModePlugins).
	plugin, pluginName, pluginVersion string
	// sshUser is the user packer connects as; root scripts run through sudo -E.
	sshUser string
	// source writes the source block's body.
	source func(r *render, b *hclwrite.Body) error
}

// clouds maps every cloud to its writer; TestRenderEveryCloud walks config's clouds.
var clouds = map[config.PackerCloud]cloud{
	config.CloudAWS:     {builder: "amazon-ebs", plugin: "github.com/hashicorp/amazon", pluginName: "amazon", pluginVersion: ">= 1.2.0", sshUser: "ubuntu", source: awsSource},
	config.CloudAzure:   {builder: "azure-arm", plugin: "github.com/hashicorp/azure", pluginName: "azure", pluginVersion: ">= 1.4.0", sshUser: "packer", source: azureSource},
	config.CloudGCP:     {builder: "googlecompute", plugin: "github.com/hashicorp/googlecompute", pluginName: "googlecompute", pluginVersion: ">= 1.1.0", sshUser: "ubuntu", source: gcpSource},
	config.CloudOCI:     {builder: "oracle-oci", plugin: "github.com/hashicorp/oracle", pluginName: "oracle", pluginVersion: ">= 1.0.3", sshUser: "ubuntu", source: ociSource},
	config.CloudAlibaba: {builder: "alicloud-ecs", plugin: "github.com/hashicorp/alicloud", pluginName: "alicloud", pluginVersion: ">= 1.1.0", sshUser: "root", source: alibabaSource},
}

// Render writes the template and scripts for in. It returns a *RefusedError (ErrRefused,
// providers.ErrInvalidSpec) for a setting combination that cannot build, and an error matching
// providers.ErrInvalidSpec for a config without providers.packer or with an unknown cloud.
func Render(in Input) (*Rendered, error) {
	if in.Config == nil {
		return nil, fmt.Errorf("vm: no providers.packer block: %w", providers.ErrInvalidSpec)
	}
	c, ok := clouds[in.Config.Cloud]
	if !ok {
		return nil, fmt.Errorf("vm: cloud %q: %w", in.Config.Cloud, providers.ErrInvalidSpec)
	}
	return in.render(c)
}

func (in Input) render(c cloud) (*Rendered, error) {
	r := &render{in: in, cloud: c, cfg: in.Config, file: hclwrite.NewEmptyFile(), head: hclwrite.NewEmptyFile(), vars: hclwrite.NewEmptyFile()}
	if err := r.unsupported(); err != nil {
		return nil, err
	}
	root := r.file.Body()
	r.packerBlock(c)
	loc := root.AppendNewBlock("locals", nil).Body()
	// formatdate of timestamp() is evaluated once per run; Packer's legacy {{timestamp}} is
	// not HCL and would be written into the name literally.
	setRaw(loc, "timestamp", `formatdate("YYYYMMDDhhmmss", timestamp())`)
	setRaw(loc, "image_name", `"`+r.cfg.ImageName+`-${local.timestamp}"`)
	root.AppendNewline()
	if in.Null {
		c = nullCloud
		r.cloud = c
	}
	src := root.AppendNewBlock("source", []string{c.builder, SourceName}).Body()
	if err := c.source(r, src); err != nil {
		return nil, err
	}
	root.AppendNewline()
	r.buildBlock(root, c)
	files := map[string]string{}
	for _, s := range r.scripts() {
		files["scripts/"+s] = scriptText(s)
	}
	name := string(in.Config.Cloud) + ".pkr.hcl"
	var tmpl []byte
	for _, f := range []*hclwrite.File{r.head, r.vars, r.file} {
		tmpl = append(tmpl, f.Bytes()...)
	}
	files[name] = string(hclwrite.Format(tmpl))
	return &Rendered{Files: files, Template: name, Builder: c.builder, Warnings: r.warnings}, nil
}

// unsupported refuses build settings the provider does not run yet, rather than building an
// image without them.
func (r *render) unsupported() error {
	b := r.cfg.Build
	hint := "remove it: the packer provider runs only its own scripts for now (docs/providers/vm.md)"
	switch {
	case len(b.Scripts) > 0:
		return &RefusedError{Setting: "build.scripts", Reason: "user scripts are not run by this provider yet", Hint: hint}
	case len(b.FileUploads) > 0:
		return &RefusedError{Setting: "build.file_uploads", Reason: "file uploads are not run by this provider yet", Hint: hint}
	case b.AnsiblePlaybook != "":
		return &RefusedError{Setting: "build.ansible_playbook", Reason: "Ansible is not run by this provider yet", Hint: hint}
	}
	return nil
}

// packerBlock writes packer { required_version; required_plugins } (the latter in
// ModePlugins only: Packer 1.6 rejects the block).
func (r *render) packerBlock(c cloud) {
	root := r.head.Body()
	p := root.AppendNewBlock("packer", nil).Body()
	setStr(p, "required_version", ">= "+MinVersion.String())
	if r.in.Mode == ModePlugins && c.plugin != "" {
		rp := p.AppendNewBlock("required_plugins", nil).Body()
		setRaw(rp, c.pluginName, fmt.Sprintf("{\n  version = %q\n  source  = %q\n}", c.pluginVersion, c.plugin))
	}
	root.AppendNewline()
}

// envVar declares variable name with its default read from the environment variable env of
// packer's process, so that the value (a credential, or a setting the executor supplies) is in
// neither the template nor argv.
func (r *render) envVar(name, env string, sensitive bool) string {
	root := r.vars.Body()
	v := root.AppendNewBlock("variable", []string{name}).Body()
	setRaw(v, "type", "string")
	setRaw(v, "default", fmt.Sprintf("env(%q)", env))
	if sensitive {
		setBool(v, "sensitive", true)
	}
	root.AppendNewline()
	return "var." + name
}

// orEnv returns the raw expression for a setting: the config's value when set, else a
// variable read from env (with fallback when env is empty, if fallback is not "").
func (r *render) orEnv(b *hclwrite.Body, attr, value, varName, env, fallback string) {
	if value != "" {
		setStr(b, attr, value)
		return
	}
	ref := r.envVar(varName, env, false)
	if fallback == "" {
		setRaw(b, attr, ref)
		return
	}
	setRaw(b, attr, fmt.Sprintf("%s != \"\" ? %s : %q", ref, ref, fallback))
}

func (r *render) warnf(format string, args ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

// tags are the image's and builder instance's tags: the config's, then the job's labels and
// the image name key.
func (r *render) tags() map[string]string {
	t := maps.Clone(r.cfg.Tags)
	if t == nil {
		t = map[string]string{}
	}
	maps.Copy(t, r.in.Labels)
	t[LabelImage] = r.cfg.ImageName
	t[LabelImageConfig] = ImageConfigHash(r.cfg)
	t[providers.LabelManagedBy] = providers.ManagedByValue
	return t
}

// LabelImage tags every image with its name key (providers.packer.image_name).
const LabelImage = "sindri.dev/image"

// scripts are the provisioning scripts the config asks for, in the order they run.
func (r *render) scripts() []string {
	s := []string{"init.sh", "install-sindri.sh"}
	sec := r.cfg.Build.Security
	if deref(sec.CISHardening) || deref(sec.OpenSCAPScan) {
		s = append(s, "security-hardening.sh")
	}
	return append(s, "cleanup.sh")
}

// executeCommand runs each script as root with the provisioner's variables kept (-E).
// {{ .Vars }} and {{ .Path }} are the shell provisioner's own template, not HCL.
const executeCommand = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E bash '{{ .Path }}'"

// environment is what the scripts read, then the config's build.environment.
func (r *render) environment() []string {
	b := r.cfg.Build
	sec := b.Security
	env := map[string]string{
		"SINDRI_VERSION":       b.SindriVersion,
		"SINDRI_PROFILE":       b.Profile,
		"SINDRI_EXTENSIONS":    strings.Join(b.Extensions, " "),
		"SINDRI_CACHE":         strconv.FormatBool(deref(b.Cache)),
		"CIS_HARDENING":        strconv.FormatBool(deref(sec.CISHardening)),
		"OPENSCAP_SCAN":        strconv.FormatBool(deref(sec.OpenSCAPScan)),
		"CLEAN_SENSITIVE_DATA": strconv.FormatBool(deref(sec.CleanSensitiveData)),
		"REMOVE_SSH_KEYS":      strconv.FormatBool(deref(sec.RemoveSSHKeys)),
	}
	maps.Copy(env, b.Environment)
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// buildBlock writes the build: the scripts through one shell provisioner, then the manifest
// post-processor whose entry for this run names the artifact.
func (r *render) buildBlock(root *hclwrite.Body, c cloud) {
	b := root.AppendNewBlock("build", nil).Body()
	b.SetAttributeValue("sources", strList([]string{"source." + c.builder + "." + SourceName}))
	b.AppendNewline()
	if c.builder == nullCloud.builder {
		p := b.AppendNewBlock("provisioner", []string{"shell-local"}).Body()
		var steps []string
		for _, s := range r.scripts() {
			steps = append(steps, "echo sindri: would run "+s)
		}
		p.SetAttributeValue("inline", strList(steps))
	} else {
		p := b.AppendNewBlock("provisioner", []string{"shell"}).Body()
		setStr(p, "execute_command", executeCommand)
		var paths []string
		for _, s := range r.scripts() {
			paths = append(paths, `"${path.root}/scripts/`+s+`"`)
		}
		setRaw(p, "scripts", "["+strings.Join(paths, ", ")+"]")
		p.SetAttributeValue("environment_vars", strList(r.environment()))
	}
	b.AppendNewline()
	r.manifest(b)
}

// manifest writes the manifest post-processor: its entry whose packer_run_uuid is the
// manifest's last_run_uuid holds this run's artifact id and image name.
func (r *render) manifest(b *hclwrite.Body) {
	m := b.AppendNewBlock("post-processor", []string{"manifest"}).Body()
	setRaw(m, "output", `"${path.root}/`+ManifestFile+`"`)
	setBool(m, "strip_path", true)
	setRaw(m, "custom_data", "{\n  image_name = local.image_name\n}")
}

// nullCloud is Packer's null builder: no instance, no communicator (Input.Null).
var nullCloud = cloud{builder: "null", source: func(_ *render, b *hclwrite.Body) error {
	setStr(b, "communicator", "none")
	return nil
}}

// errNoCloud is a cloud block that defaults should have created.
var errNoCloud = errors.New("vm: the cloud's block is missing (defaults not applied)")
