package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/builtin"
	"github.com/sindri/deploy/v3/pkg/providers/e2b"
	"github.com/sindri/deploy/v3/pkg/providers/fly"
	"github.com/sindri/deploy/v3/pkg/providers/northflank"
	"github.com/sindri/deploy/v3/pkg/providers/runpod"
)

// doctorFact is one line of `local doctor`: a fact about what a provider needs on this
// machine. A fact that is not OK and Blocking means the provider cannot run here.
type doctorFact struct {
	What     string
	OK       bool
	Blocking bool
	Fix      string
}

// apiRoots are the cloud providers' API roots, which doctor checks it can reach (with no
// credential: any HTTP answer counts). SINDRI_<NAME>_API_URL overrides each, as for the
// providers themselves.
var apiRoots = map[string]string{
	fly.Name:        fly.DefaultAPIURL,
	runpod.Name:     runpod.DefaultAPIURL,
	northflank.Name: northflank.DefaultAPIURL,
	e2b.Name:        "https://api." + e2b.DefaultDomain,
}

// packerClouds are the clouds packer builds for (-cloud).
var packerClouds = []string{config.CloudAWS.String(), config.CloudAzure.String(), config.CloudGCP.String(),
	config.CloudOCI.String(), config.CloudAlibaba.String()}

// credentialFixes say where each credential comes from.
var credentialFixes = map[string]string{
	fly.DefaultTokenVar:      "create a token with `fly tokens create deploy` (or in the Fly.io dashboard) and export FLY_API_TOKEN where jobs run",
	runpod.CredentialVar:     "create an API key in RunPod's console (Settings, API Keys) and export RUNPOD_API_KEY where jobs run",
	northflank.CredentialVar: "create an API token in your Northflank team's settings (API, Tokens) and export NORTHFLANK_API_TOKEN where jobs run",
	e2b.CredentialVar:        "copy an API key from the E2B dashboard (Keys) and export E2B_API_KEY where jobs run",
}

// toolFixes say how to provide each provider's tool when its readiness check fails.
var toolFixes = map[string]string{
	"docker":     "install Docker Engine (Debian: apt-get install docker.io) and start it, or set DOCKER_HOST to a running engine",
	"devpod":     "install devpod v0.6.15 (scripts/tools.sh devpod builds it) and put it on PATH, or set SINDRI_DEVPOD_BINARY",
	"kubernetes": "set KUBECONFIG to a kubeconfig whose current context reaches the cluster (or SINDRI_KUBERNETES_KUBECONFIG and SINDRI_KUBERNETES_CONTEXT)",
	"packer":     "install packer (Debian: apt-get install packer; its 1.6.6 serves where the guide says 1.9+) and put it on PATH, or set SINDRI_PACKER_BINARY",
}

// runDoctor is `local doctor`: for the configured provider (or -provider, or packer with
// -cloud), what it needs on this machine: its tool and version, its credentials by name, and
// that its API answers. Without a config or provider it checks every built-in provider.
// Exit status: 0 when the provider can run, 1 when it cannot, 2 for a usage error.
func runDoctor(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, cfgPath, prov := localFlagSet("doctor", "check this provider instead of the config's", stderr)
	cloud := fs.String("cloud", "", "packer: check this cloud's credentials only (aws, azure, gcp, oci, alibaba)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	names, why, err := doctorTargets(*cfgPath, *prov, *cloud)
	if err != nil {
		fmt.Fprintln(stderr, "sindri-action local doctor:", err)
		return 2
	}
	client := &http.Client{Timeout: 5 * time.Second}
	failed := 0
	for i, name := range names {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		facts, err := providerFacts(ctx, name, *cloud, getenv, client)
		if err != nil {
			fmt.Fprintln(stderr, "sindri-action local doctor:", err)
			return 2
		}
		fmt.Fprintf(stdout, "doctor: %s (%s)\n", name, why)
		if !writeFacts(stdout, name, facts) {
			failed++
		}
	}
	if len(names) > 1 {
		fmt.Fprintf(stdout, "\n%d of %d providers can run here\n", len(names)-failed, len(names))
		return 0
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// doctorTargets picks the providers to check and says why: -provider, packer for -cloud, the
// config's provider, else every built-in one.
func doctorTargets(cfgPath, prov, cloud string) ([]string, string, error) {
	if cloud != "" && !slices.Contains(packerClouds, cloud) {
		return nil, "", fmt.Errorf("-cloud %q: want one of %s", cloud, strings.Join(packerClouds, ", "))
	}
	switch {
	case prov != "":
		if _, ok := builtin.Lookup(prov); !ok {
			return nil, "", fmt.Errorf("-provider %q is not built in (built in: %s)", prov, strings.Join(builtin.Names(), ", "))
		}
		return []string{prov}, "named by -provider", nil
	case cloud != "":
		return []string{string(config.ProviderPacker)}, "-cloud " + cloud, nil
	}
	if cfgPath == "" {
		wd, err := filepath.Abs(".")
		if err != nil {
			return nil, "", err
		}
		if cfgPath, err = config.Discover(wd); err != nil {
			return builtin.Names(), "no sindri.yaml found: every built-in provider", nil
		}
	}
	c, diags, err := config.LoadFile(cfgPath)
	if err != nil {
		return nil, "", err
	}
	if c == nil {
		return nil, "", fmt.Errorf("%s does not validate (%d error(s)); run sindri-action validate -c %s", cfgPath, len(diags.Errors()), cfgPath)
	}
	name := string(c.ProviderName())
	if _, ok := builtin.Lookup(name); !ok {
		return nil, "", fmt.Errorf("%s: provider %q is not built in (built in: %s)", cfgPath, name, strings.Join(builtin.Names(), ", "))
	}
	return []string{name}, "the provider of " + cfgPath, nil
}

// providerFacts checks one built-in provider: its readiness check (tool, version, what the
// provider itself needs), its required credentials by name, and its API's reachability.
func providerFacts(ctx context.Context, name, cloud string, getenv func(string) string, client *http.Client) ([]doctorFact, error) {
	entry, _ := builtin.Lookup(name)
	reg, err := builtin.Registry(getenv, nil, []string{name})
	if err != nil {
		return nil, err
	}
	p, err := reg.Get(name)
	if err != nil {
		return nil, err
	}
	var facts []doctorFact
	if c, ok := p.(providers.Checker); ok {
		r := c.Check(ctx)
		if r.Version != "" {
			facts = append(facts, doctorFact{What: "tool: " + r.Version, OK: true})
		}
		for _, prob := range r.Problems {
			if slices.Contains(entry.Required, prob) {
				continue // the credential facts below say it, with its fix
			}
			f := doctorFact{What: prob, Blocking: !r.Ready, Fix: toolFixes[name]}
			if c, _, isCloud := strings.Cut(prob, ":"); isCloud && slices.Contains(packerClouds, c) && r.Ready {
				// packer: each cloud needs only its own credentials.
				f.Blocking, f.Fix = c == cloud, "export it where packer runs"
				if cloud != "" && c != cloud {
					continue
				}
			}
			facts = append(facts, f)
		}
		if r.Ready && r.Version == "" && len(r.Problems) == 0 {
			facts = append(facts, doctorFact{What: "ready", OK: true})
		}
	} else {
		facts = append(facts, doctorFact{What: "no readiness check: nothing to verify on this machine", OK: true})
	}
	for _, v := range entry.Required {
		if getenv(v) != "" {
			facts = append(facts, doctorFact{What: "credential " + v + " is set", OK: true})
			continue
		}
		facts = append(facts, doctorFact{What: "credential " + v + " is not set", Blocking: true, Fix: credentialFixes[v]})
	}
	if root, ok := apiRoots[name]; ok {
		if v := getenv(builtin.EnvVar(name, "api_url")); v != "" {
			root = v
		}
		facts = append(facts, reachable(ctx, client, name, root))
	}
	return facts, nil
}

// reachable asks root once, without credentials: any HTTP answer shows the API can be reached
// (a 401 is expected). Only the scheme, host and path are printed.
func reachable(ctx context.Context, client *http.Client, name, root string) doctorFact {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, root, nil)
	if err != nil {
		return doctorFact{What: "API " + root + " is not a URL", Blocking: true, Fix: "set " + builtin.EnvVar(name, "api_url") + " to the API root"}
	}
	shown := req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
	resp, err := client.Do(req)
	if err != nil {
		return doctorFact{What: "API " + shown + " cannot be reached", Blocking: true,
			Fix: "check this machine's DNS, network and proxy (HTTPS_PROXY) for " + req.URL.Host}
	}
	resp.Body.Close()
	return doctorFact{What: fmt.Sprintf("API %s answers (HTTP %d without credentials)", shown, resp.StatusCode), OK: true}
}

// writeFacts prints facts and the verdict; it reports whether the provider can run.
func writeFacts(w io.Writer, name string, facts []doctorFact) bool {
	blocking := 0
	for _, f := range facts {
		mark := "ok"
		switch {
		case f.OK:
		case f.Blocking:
			mark, blocking = "MISSING", blocking+1
		default:
			mark = "note"
		}
		fmt.Fprintf(w, "  %-7s %s\n", mark, f.What)
		if !f.OK && f.Fix != "" {
			fmt.Fprintf(w, "          fix: %s\n", f.Fix)
		}
	}
	if blocking > 0 {
		fmt.Fprintf(w, "%s cannot run here: %d problem(s)\n", name, blocking)
		return false
	}
	fmt.Fprintf(w, "%s can run here\n", name)
	return true
}

// localFlagSet is the flag set of a local verb with the -c and -provider flags every one has.
func localFlagSet(verb, providerUsage string, stderr io.Writer) (fs *flag.FlagSet, cfgPath, prov *string) {
	fs = flag.NewFlagSet("local "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath = fs.String("c", "", "path of sindri.yaml (default: discovered from the current directory)")
	prov = fs.String("provider", "", providerUsage)
	return fs, cfgPath, prov
}
