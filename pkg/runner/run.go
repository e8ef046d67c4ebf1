// Package runner carries out one invocation of the action: it turns a routed Intent into a
// job on the bus and follows the job's events into the workflow log, the job summary, the step
// outputs, the sticky PR comment and the GitHub Deployment. The thin main in cmd/action builds a
// Request from the runner's environment; the local commands build one from flags.
package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/confine"
	"github.com/sindri/deploy/v3/internal/excerpt"
	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/registry"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// Request is one invocation.
type Request struct {
	Intent action.Intent
	Inputs action.Inputs
	// Workspace is the directory Inputs.Config is relative to (GITHUB_WORKSPACE). The config,
	// its .env files and the files its secrets name must resolve into it.
	Workspace string
	// LookupEnv resolves env secrets, and $VAR in secret paths for VAR declared as an env
	// secret (the process environment).
	LookupEnv func(string) (string, bool)
	// HomeDir expands ~ and $HOME in secret paths.
	HomeDir string
	// SecretFileRoots are absolute directories outside Workspace that file and fromFile secrets
	// may read from: an operator's opt-out for a runner host that keeps secrets in files (e.g.
	// /etc/secrets). Nil confines every file to Workspace.
	SecretFileRoots []string
	// Vault reaches HashiCorp Vault for vault secrets.
	Vault secrets.VaultConfig
	// Delivery identifies the cause for idempotency (jobs.RunDelivery of the run id and attempt).
	Delivery string
	// RunURL links the workflow run.
	RunURL string
	// EphemeralDocker says a docker environment made by this run lives on a machine discarded
	// with the job (the embedded executor on a GitHub-hosted runner's own engine): the summary
	// then says so, once.
	EphemeralDocker bool
}

// BusOpener opens the bus for one invocation. It receives the secrets resolved for the job, so
// that an embedded executor can hand them to its provider without putting them on the bus.
type BusOpener func(ctx context.Context, resolved []secrets.Resolved) (*Bus, error)

// Deps are the collaborators of Run.
type Deps struct {
	Out Output
	// Mask registers a secret with the log masker (::add-mask::); nil when there is none.
	Mask func(secret string)
	// OpenBus opens the bus; it is called only once a job is certain to be published.
	OpenBus BusOpener
	// GitHub is the API client; nil disables comments, deployments and reactions (local mode).
	GitHub *github.Client
	// Registry, when set, lets the reaper ask providers (providers.Lister) for expired
	// environments that the bus has no record of.
	Registry *providers.Registry
	// ResolveImage resolves image_config.version for deploy and plan jobs, whose job then
	// carries the image (config.ImageResolver with a registry.Client); nil means an anonymous
	// registry client and no known action version (pin-to-cli fails).
	ResolveImage func(ctx context.Context, cfg *config.Config) (string, error)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Exit codes of Run.
const (
	ExitOK     = 0
	ExitFailed = 1
)

// Run carries out req and returns the process exit code: 0 when the job succeeded, was
// superseded, or the event needed no job; 1 when the input was bad or the job failed. Every
// problem is reported through deps.Out before Run returns.
func Run(ctx context.Context, req Request, deps Deps) int {
	r := &run{req: req, deps: deps, redact: action.NoRedaction}
	if r.deps.Now == nil {
		r.deps.Now = time.Now
	}
	if r.deps.ResolveImage == nil {
		r.deps.ResolveImage = config.ImageResolver{Lister: &registry.Client{}}.ResolveImageRef
	}
	if r.deps.Mask == nil {
		r.deps.Mask = func(string) {}
	}
	return r.do(ctx)
}

type run struct {
	req    Request
	deps   Deps
	redact action.Redactor
	it     action.Intent
	gh     *github.Reporter
	// kept are the comment and deployment ids the env record holds (see report).
	kept [2]int64
	// deadline is when the job must be done by (the timeout input from the run's start);
	// final GitHub reports may wait out a rate limit until then. Zero: no timeout.
	deadline time.Time
}

func (r *run) out() Output { return r.deps.Out }

func (r *run) do(ctx context.Context) int {
	r.it = r.req.Intent
	if t := r.req.Inputs.Timeout; t > 0 {
		r.deadline = time.Now().Add(t)
	}
	// dry-run reads from GitHub (the PR, the commenter's permission) but writes nothing to it:
	// no comment, deployment, reaction or reply.
	if r.deps.GitHub != nil && !r.req.Inputs.DryRun {
		r.gh = &github.Reporter{Client: r.deps.GitHub, Comments: r.req.Inputs.Comment, Deployments: r.req.Inputs.Deployment}
		if err := action.Acknowledge(ctx, r.deps.GitHub, r.it); err != nil {
			r.out().Warning(fmt.Sprintf("acknowledge the command: %v", err), nil)
		}
	}
	_, isJob := r.it.Kind.Job()
	needsAPI := r.it.NeedsPR || (r.it.ChatOps != nil && isJob)
	// Every ChatOps comment has its author's permission read, replies and refusals included:
	// it decides whether the bot may answer with a comment (action.ChatOps.MayReply).
	if needsAPI || (r.it.ChatOps != nil && r.deps.GitHub != nil) {
		if r.deps.GitHub == nil {
			r.out().Error("this event needs the GitHub API (to read the pull request and the commenter's permission): set the github-token input", nil)
			return ExitFailed
		}
		it, err := action.Authorize(ctx, r.deps.GitHub, r.it, r.req.Inputs)
		if err != nil {
			r.out().Error(fmt.Sprintf("check the pull request and permissions: %v", err), nil)
			r.respond(ctx, false)
			return ExitFailed
		}
		r.it = it
	}
	switch r.it.Kind {
	case action.KindSkip:
		r.out().Notice(r.it.Reason)
		r.setOutputs(action.Outputs{Status: "skipped"})
		return ExitOK
	case action.KindReply:
		r.respond(ctx, true)
		r.setOutputs(action.Outputs{Status: "skipped"})
		return ExitOK
	case action.KindRefuse:
		r.out().Warning(r.it.Reason, nil)
		r.respond(ctx, false)
		r.setOutputs(action.Outputs{Status: "refused"})
		return ExitOK
	}
	kind, ok := r.it.Kind.Job()
	if !ok {
		r.out().Error(fmt.Sprintf("internal: intent %q runs no job", r.it.Kind), nil)
		return ExitFailed
	}
	if kind == jobs.KindReap {
		return r.reap(ctx)
	}
	return r.job(ctx, kind)
}

// loaded is a validated config ready to become a job.
type loaded struct {
	cfg      *config.Config
	relPath  string
	text     []byte
	env      string
	provider string
	resolved []secrets.Resolved
}

// configPath returns the config input (default sindri.yaml) and its path in the workspace.
func (r *run) configPath() (rel, abs string) {
	rel = r.req.Inputs.Config
	if rel == "" {
		rel = action.DefaultConfig
	}
	abs = rel
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(r.req.Workspace, rel)
	}
	return rel, abs
}

// readConfig reads the config file, which must resolve into the workspace: a pull request
// controls the file and may have made it a symlink to anything the runner can read.
func (r *run) readConfig(abs string) ([]byte, error) {
	return confine.ReadFile(r.req.Workspace, abs, config.MaxFileSize)
}

// load reads, validates and names the environment, and resolves secrets. Every problem is
// reported; nil means the invocation must stop with ExitFailed.
func (r *run) load(ctx context.Context) *loaded {
	rel, abs := r.configPath()
	text, err := r.readConfig(abs)
	if err != nil {
		msg := fmt.Sprintf("config file %s: %v", rel, err)
		switch {
		case errors.Is(err, os.ErrNotExist):
			msg = fmt.Sprintf("config file %s not found: set the `config` input to the path of your sindri.yaml (relative to the repository root)", rel)
		case errors.Is(err, confine.ErrOutsideRoot):
			msg = fmt.Sprintf("config file %s resolves (through .. or a symlink) outside the workspace %s: the config must be a file of the repository", rel, r.req.Workspace)
		}
		r.out().Error(msg, &Position{File: rel})
		return nil
	}
	cfg, diags := config.Load(rel, text)
	annotated := false
	for _, d := range diags {
		pos := &Position{File: rel, Line: d.Line, Col: d.Col}
		msg := d.Field + ": " + d.Message
		if d.Field == "" {
			msg = d.Message
		}
		if d.Hint != "" {
			msg += " (hint: " + d.Hint + ")"
		}
		if d.Severity == config.SeverityError {
			r.out().Error(msg, pos)
			annotated = true
		} else {
			r.out().Warning(msg, pos)
		}
	}
	if diags.HasErrors() || cfg == nil {
		// One problem, one error annotation: the count is a notice when each error already
		// has its own annotation.
		msg := fmt.Sprintf("%s is not valid: %d error(s); nothing was published", rel, len(diags.Errors()))
		if annotated {
			r.out().Notice(msg)
		} else {
			r.out().Error(msg, &Position{File: rel})
		}
		return nil
	}
	l := &loaded{cfg: cfg, relPath: rel, text: text}
	l.provider = string(cfg.ProviderName())
	if r.req.Inputs.Provider != "" {
		l.provider = r.req.Inputs.Provider
	}
	if r.it.Provider != "" {
		l.provider = r.it.Provider
	}
	if !jobs.ValidProviderName(l.provider) {
		r.out().Error(fmt.Sprintf("provider %s is not a valid provider name", excerpt.Quote(l.provider)), nil)
		return nil
	}
	env, err := jobs.EnvName(jobs.NameInput{
		Name: cfg.Name, Repo: r.it.Repo, PR: r.it.PR, Branch: r.it.Branch,
		Template: r.req.Inputs.Environment,
	})
	if err != nil {
		r.out().Error(fmt.Sprintf("environment name: %v (check the `environment` input)", err), nil)
		return nil
	}
	l.env = env
	res, err := secrets.NewResolver(secrets.ResolverConfig{
		ConfigDir:    filepath.Dir(abs),
		Root:         r.req.Workspace,
		AllowedRoots: r.req.SecretFileRoots,
		LookupEnv:    r.req.LookupEnv,
		HomeDir:      r.req.HomeDir,
		Vault:        r.req.Vault,
	})
	if err != nil {
		r.out().Error(fmt.Sprintf("secrets: %v", err), nil)
		return nil
	}
	result, err := res.Resolve(ctx, cfg.Secrets)
	if result != nil {
		values := make([]secrets.Value, 0, len(result.Secrets))
		for _, s := range result.Secrets {
			values = append(values, s.Value)
			for _, line := range strings.Split(s.Value.Reveal(), "\n") {
				if len(line) >= secrets.MinRedactLength {
					r.deps.Mask(line)
				}
			}
		}
		r.redact = secrets.NewRedactor(values...).Redact
		for _, w := range result.Warnings {
			r.out().Warning(fmt.Sprintf("secret %s: %s", w.Secret, w.Message), &Position{File: rel})
		}
		l.resolved = result.Secrets
	}
	if err != nil {
		r.out().Error(fmt.Sprintf("secrets: %v; nothing was published", err), &Position{File: rel})
		return nil
	}
	return l
}
