package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/sethvargo/go-githubactions"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers/builtin"
	"github.com/sindri/deploy/v3/pkg/registry"
	"github.com/sindri/deploy/v3/pkg/runner"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// runAction runs as the GitHub action: inputs from INPUT_*, the event from GITHUB_EVENT_NAME
// and GITHUB_EVENT_PATH, results to stdout (workflow commands), GITHUB_STEP_SUMMARY and
// GITHUB_OUTPUT.
func runAction(ctx context.Context, getenv func(string) string, stdout io.Writer) int {
	a := githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stdout))
	out := &runner.ActionOutput{A: a, W: stdout}
	in, err := action.ParseInputs(a)
	if err != nil {
		for _, e := range unjoin(err) {
			out.Error(e.Error(), nil)
		}
		return runner.ExitFailed
	}
	eventName := getenv("GITHUB_EVENT_NAME")
	if eventName == "" {
		out.Error("GITHUB_EVENT_NAME is not set: run this inside a GitHub Actions workflow, or use `sindri-action local`", nil)
		return runner.ExitFailed
	}
	var payload []byte
	if p := getenv("GITHUB_EVENT_PATH"); p != "" {
		if payload, err = os.ReadFile(p); err != nil {
			out.Error(fmt.Sprintf("read the event payload: %v", err), nil)
			return runner.ExitFailed
		}
	}
	it, err := action.Route(eventName, payload, in)
	if err != nil {
		out.Error(err.Error(), nil)
		return runner.ExitFailed
	}
	if it.Repo == "" {
		it.Repo = getenv("GITHUB_REPOSITORY")
		it.Owner, it.Name, _ = strings.Cut(it.Repo, "/")
	}
	if it.Actor == "" {
		it.Actor = getenv("GITHUB_ACTOR")
	}

	workspace := getenv("GITHUB_WORKSPACE")
	if workspace == "" {
		workspace, _ = os.Getwd()
	}
	lookup := func(k string) (string, bool) {
		v := getenv(k)
		return v, v != ""
	}
	vault, _, err := secrets.VaultFromEnv(lookup)
	if err != nil {
		out.Error(fmt.Sprintf("vault settings: %v", err), nil)
		return runner.ExitFailed
	}
	req := runner.Request{
		Intent:          it,
		Inputs:          in,
		Workspace:       workspace,
		SecretFileRoots: secretFileRoots(getenv),
		LookupEnv:       lookup,
		HomeDir:         getenv("HOME"),
		Vault:           vault,
		Delivery:        jobs.RunDelivery(getenv("GITHUB_RUN_ID"), getenv("GITHUB_RUN_ATTEMPT")),
		RunURL:          runURL(getenv),
		EphemeralDocker: ephemeralDocker(in, getenv),
	}
	reg, err := builtin.Registry(getenv, nil, nil)
	if err != nil {
		out.Error(fmt.Sprintf("providers: %v", err), nil)
		return runner.ExitFailed
	}
	// out.Mask both registers each secret line with the runner (::add-mask::, issued outside any
	// stop-commands region) and keeps it to redact the step outputs and the summary.
	deps := runner.Deps{Out: out, Mask: out.Mask, Registry: reg, ResolveImage: imageResolver(in.GitHubToken, getenv)}
	if in.GitHubToken != "" {
		// A rate limit is waited out, each wait announced in the log, for as long as the job
		// may take (the timeout input) rather than failing the report.
		opts := []github.Option{github.WithProgress(out.Log)}
		if in.Timeout > 0 {
			opts = append(opts, github.WithRetries(4, in.Timeout))
		}
		if api := getenv("GITHUB_API_URL"); api != "" && api != "https://api.github.com" {
			opts = append(opts, github.WithBaseURL(strings.TrimRight(api, "/")+"/"))
		}
		gh, err := github.New(in.GitHubToken, opts...)
		if err != nil {
			out.Error(fmt.Sprintf("github client: %v", err), nil)
			return runner.ExitFailed
		}
		deps.GitHub = gh
	}
	if in.NATSURL == "" {
		// SINDRI_EMBEDDED_STORE_DIR keeps the embedded bus's JetStream store (jobs, events, env
		// records) in that directory instead of a temporary one removed on exit: for inspecting
		// a run, or for keeping env records between runs on a persistent runner.
		deps.OpenBus = runner.EmbeddedOpener(runner.EmbeddedConfig{Registry: reg,
			StoreDir: getenv("SINDRI_EMBEDDED_STORE_DIR")})
	} else {
		deps.OpenBus = externalOpener(in, getenv, out)
	}
	return runner.Run(ctx, req, deps)
}

// externalOpener connects to the NATS deployment named by the nats-url input; the credentials
// and TLS inputs are written to private temporary files for the client library, removed when
// the bus closes.
func externalOpener(in action.Inputs, getenv func(string) string, out runner.Output) runner.BusOpener {
	return func(ctx context.Context, _ []secrets.Resolved) (*runner.Bus, error) {
		o := events.ConnectOptions{URLs: splitList(in.NATSURL), Name: "sindri-action " + getenv("GITHUB_REPOSITORY")}
		// The client library reads credentials and TLS material from files, again on every
		// reconnect: the inputs are written to a private temporary directory that lives as
		// long as the connection.
		dir, err := os.MkdirTemp("", "sindri-nats-")
		if err != nil {
			return nil, err
		}
		keep := false
		defer func() {
			if !keep {
				os.RemoveAll(dir)
			}
		}()
		for _, f := range []struct {
			content string
			name    string
			path    *string
		}{
			{in.NATSCreds, "nats.creds", &o.CredsFile},
			{in.NATSCA, "ca.pem", &o.CAFile},
			{in.NATSTLSCert, "client.pem", &o.CertFile},
			{in.NATSTLSKey, "client-key.pem", &o.KeyFile},
		} {
			if f.content == "" {
				continue
			}
			*f.path = filepath.Join(dir, f.name)
			if err := os.WriteFile(*f.path, []byte(f.content), 0o600); err != nil {
				return nil, err
			}
		}
		bus, err := runner.Connect(ctx, o, events.SetupOptions{Warn: func(msg string) { out.Warning(msg, nil) }})
		if err != nil {
			return nil, err
		}
		keep = true
		bus.OnClose(func() { os.RemoveAll(dir) })
		if in.SigningKey == "" {
			return bus, nil
		}
		// ParseInputs has checked the seed already.
		if bus.Signer, err = jobs.SigningKey(in.SigningKey); err != nil {
			bus.Close()
			return nil, fmt.Errorf("signing-key: %w", err)
		}
		return bus, nil
	}
}

func runURL(getenv func(string) string) string {
	server, repo, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
	if server == "" || repo == "" || id == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s/actions/runs/%s", strings.TrimRight(server, "/"), repo, id)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// unjoin returns the errors joined in err (errors.Join), or err itself.
func unjoin(err error) []error {
	var j interface{ Unwrap() []error }
	if errors.As(err, &j) {
		return j.Unwrap()
	}
	return []error{err}
}

// imageResolver resolves image_config.version for the runner: ghcr.io is read with the
// github-token input (username "token", contract §1.3.2), other registries anonymously, and
// pin-to-cli pins to actionVersion.
func imageResolver(githubToken string, getenv func(string) string) func(context.Context, *config.Config) (string, error) {
	c := &registry.Client{}
	if githubToken != "" {
		c.Credentials = map[string]registry.Credential{registry.GHCR: {Username: "token", Password: githubToken}}
	}
	return config.ImageResolver{Lister: c, CLIVersion: actionVersion(getenv)}.ResolveImageRef
}

// pseudoVersion matches the prerelease part of a Go pseudo-version (a development build).
var pseudoVersion = regexp.MustCompile(`(^|\.)\d{14}-[0-9a-f]{12}$`)

// actionVersion is the release of this action that runs, without a leading v: the module
// version the binary was built as, else GITHUB_ACTION_REF when it is a full version
// (uses: sindri/deploy@v3.1.0); "" when neither names one (a development build, @v3, @main).
func actionVersion(getenv func(string) string) string {
	full := func(s string) string {
		v, err := semver.StrictNewVersion(strings.TrimPrefix(s, "v"))
		if err != nil || v.Metadata() != "" || pseudoVersion.MatchString(v.Prerelease()) {
			return ""
		}
		return v.String()
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := full(bi.Main.Version); v != "" {
			return v
		}
	}
	return full(getenv("GITHUB_ACTION_REF"))
}

// secretFileRoots reads SINDRI_SECRET_FILE_ROOTS: absolute directories outside the workspace
// from which file and fromFile secrets may be read (a list in the platform's PATH form). It is
// set by whoever runs the binary, never by a config; relative entries are ignored.
func secretFileRoots(getenv func(string) string) []string {
	var out []string
	for _, d := range filepath.SplitList(getenv("SINDRI_SECRET_FILE_ROOTS")) {
		if filepath.IsAbs(d) {
			out = append(out, filepath.Clean(d))
		}
	}
	return out
}

// ephemeralDocker reports whether a docker environment this run makes ends with the job: a
// GitHub-hosted runner (RUNNER_ENVIRONMENT=github-hosted), the embedded executor (no nats-url)
// and the runner's own engine (no tcp:// or ssh:// DOCKER_HOST or SINDRI_DOCKER_HOST).
func ephemeralDocker(in action.Inputs, getenv func(string) string) bool {
	if getenv("RUNNER_ENVIRONMENT") != "github-hosted" || in.NATSURL != "" {
		return false
	}
	host := getenv("SINDRI_DOCKER_HOST")
	if host == "" {
		host = getenv("DOCKER_HOST")
	}
	return host == "" || strings.HasPrefix(host, "unix://")
}
