package vm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
)

// setting names the executor setting that chooses the binary, for a not-found error.
const setting = "provider \"packer\" { binary }"

// detect runs `packer version` once and returns the version and the template Mode for it.
func (p *Provider) detect(ctx context.Context) (string, Mode, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.version != "" {
		return p.version, p.mode, nil
	}
	var out bytes.Buffer
	_, err := cli.Run(ctx, cli.Cmd{
		Path: p.cfg.Binary, Setting: setting, Provider: Name, Args: []string{"version"},
		Env: []string{"PATH=" + p.cfg.PATH, "HOME=" + p.cfg.Home, "CHECKPOINT_DISABLE=1"}, Stdout: &out,
	})
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", Name, err)
	}
	v, mode, err := ParseVersion(out.String())
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w: %w", Name, err, providers.ErrUnsupported)
	}
	p.version, p.mode = v.String(), mode
	return p.version, mode, nil
}

// workspace is one job's rendered template directory.
type workspace struct {
	cloud    config.PackerCloud
	cfg      *config.PackerConfig
	rendered *Rendered
	mode     Mode
	dir      string
}

// prepare checks the spec and credentials, renders the template for the installed Packer
// and writes it into a fresh directory that the caller removes.
func (p *Provider) prepare(ctx context.Context, s *providers.Spec) (*workspace, error) {
	pc, err := packerConfig(s)
	if err != nil {
		return nil, err
	}
	if err := p.missing(pc.Cloud, s); err != nil {
		return nil, err
	}
	_, mode, err := p.detect(ctx)
	if err != nil {
		return nil, err
	}
	out, err := Render(Input{Config: pc, Mode: mode, Labels: s.Labels, Null: p.cfg.NullBuilder})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	dir, err := os.MkdirTemp(p.cfg.WorkDir, "sindri-packer-")
	if err != nil {
		return nil, fmt.Errorf("%s: template directory: %w", Name, err)
	}
	for name, content := range out.Files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("%s: template directory: %w", Name, err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("%s: template directory: %w", Name, err)
		}
	}
	return &workspace{cloud: pc.Cloud, cfg: pc, rendered: out, mode: mode, dir: dir}, nil
}

// run runs packer with args in w's directory, its output going to r.
func (p *Provider) run(ctx context.Context, w *workspace, s *providers.Spec, r providers.Reporter, args ...string) error {
	env, secretValues := p.env(w.cloud, s)
	_, err := cli.Run(ctx, cli.Cmd{
		Path: p.cfg.Binary, Setting: setting, Provider: Name, Args: args, Env: env, Dir: w.dir,
		Secrets: secretValues, Reporter: r,
	})
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	return nil
}

// init runs packer init in ModePlugins, which installs the template's required_plugins.
func (p *Provider) init(ctx context.Context, w *workspace, s *providers.Spec, r providers.Reporter) error {
	if w.mode != ModePlugins || p.cfg.NullBuilder {
		return nil
	}
	r.Progress("installing packer plugins", 0, 0)
	return p.run(ctx, w, s, r, "init", w.dir)
}

// ValidateImage implements providers.ImageBuilder: packer's full validate of the rendered
// template. Errors: providers.ErrInvalidSpec for a refused setting, a MissingCredential
// (providers.ErrAuth), a *cli.BinaryNotFoundError, or the *cli.ExitError of packer.
func (p *Provider) ValidateImage(ctx context.Context, s *providers.Spec, r providers.Reporter) error {
	w, err := p.prepare(ctx, s)
	if err != nil {
		return err
	}
	defer os.RemoveAll(w.dir)
	for _, warn := range w.rendered.Warnings {
		r.Log("warning: " + warn)
	}
	if err := p.init(ctx, w, s, r); err != nil {
		return err
	}
	r.Progress("validating "+w.rendered.Template, 0, 0)
	if err := p.run(ctx, w, s, r, "validate", w.dir); err != nil {
		return fmt.Errorf("%w: %w", err, providers.ErrInvalidSpec)
	}
	r.Log(w.rendered.Template + " is valid")
	return nil
}

// BuildImage implements providers.ImageBuilder: packer build -machine-readable, each step
// reported as it happens, the image read from the artifact line (else the manifest entry of
// this run). A cancelled build's packer gets SIGINT, on which it deletes its builder
// instance. Under the executor it holds the config's build lease (BuildLockKey) while packer
// runs, so a Deploy that finds the image missing meanwhile waits for this build instead of
// making its own (and this build waits for one a Deploy runs). Errors as ValidateImage, and
// the context's error for a cancelled build.
func (p *Provider) BuildImage(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Image, error) {
	pc, err := packerConfig(s)
	if err != nil {
		return nil, err
	}
	unlock, err := lockBuild(ctx, s, pc, r, 0, 0)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return p.buildImage(ctx, s, r)
}

// buildImage is BuildImage without the lease (Deploy's buildMissing holds it already).
func (p *Provider) buildImage(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Image, error) {
	w, err := p.prepare(ctx, s)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(w.dir)
	for _, warn := range w.rendered.Warnings {
		r.Log("warning: " + warn)
	}
	if err := p.init(ctx, w, s, r); err != nil {
		return nil, err
	}
	prog := newProgress(r)
	if err := p.run(ctx, w, s, prog, "build", "-machine-readable", "-color=false", w.dir); err != nil {
		return nil, err
	}
	id, at := prog.result()
	mid, name, mat, merr := lastRun(filepath.Join(w.dir, ManifestFile))
	if id == "" {
		if merr != nil {
			return nil, fmt.Errorf("%s: the build printed no artifact: %w", Name, merr)
		}
		id, at = mid, mat
	}
	if name == "" {
		name = w.cfg.ImageName
	}
	region := region(w.cfg)
	img := &providers.Image{ID: imageID(w.cloud, id, region), Name: name, Cloud: string(w.cloud), Region: region, Labels: s.Labels}
	if !at.IsZero() {
		img.CreatedAt = &at
	}
	return img, nil
}

// imageID reads the image id out of an artifact id: AWS and Alibaba give
// "region:id[,region:id...]" (one per copy region), of which the build region's is the image.
func imageID(cloud config.PackerCloud, artifact, region string) string {
	if cloud != config.CloudAWS && cloud != config.CloudAlibaba {
		return artifact
	}
	for _, part := range strings.Split(artifact, ",") {
		if r, id, ok := strings.Cut(part, ":"); ok && r == region {
			return id
		}
	}
	if _, id, ok := strings.Cut(artifact, ":"); ok {
		return strings.Split(id, ",")[0]
	}
	return artifact
}

// region is where the image is built: the cloud block's region, location or zone.
func region(c *config.PackerConfig) string {
	switch c.Cloud {
	case config.CloudAWS:
		return deref(c.AWS).Region
	case config.CloudAzure:
		return deref(c.Azure).Location
	case config.CloudGCP:
		return deref(c.GCP).Zone
	case config.CloudAlibaba:
		return deref(c.Alibaba).Region
	}
	return ""
}
