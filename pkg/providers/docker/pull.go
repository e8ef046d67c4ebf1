package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// ErrRegistryAuth means the registry refused to serve the image without (valid) credentials.
// It is permanent: retrying with the same credentials cannot help.
var ErrRegistryAuth = errors.New("registry denied access")

// pullPolicy is deployment.image_config.pull_policy (contract §1.3.1).
type pullPolicy int

// Pull policies. The zero value is the contract's default.
const (
	pullIfNotPresent pullPolicy = iota
	pullAlways
	pullNever
)

// String returns the policy as sindri.yaml spells it.
func (p pullPolicy) String() string {
	switch p {
	case pullAlways:
		return "Always"
	case pullNever:
		return "Never"
	}
	return "IfNotPresent"
}

// pullPolicyOf reads the policy from the config; no image_config means the default. An unknown
// value wraps providers.ErrInvalidSpec (pkg/config refuses it first).
func pullPolicyOf(c *config.Config) (pullPolicy, error) {
	ic := c.Deployment.ImageConfig
	if ic == nil {
		return pullIfNotPresent, nil
	}
	switch ic.PullPolicy {
	case "", "IfNotPresent":
		return pullIfNotPresent, nil
	case "Always":
		return pullAlways, nil
	case "Never":
		return pullNever, nil
	}
	return 0, fmt.Errorf("docker: deployment.image_config.pull_policy %q: %w: use Always, IfNotPresent or Never", ic.PullPolicy, providers.ErrInvalidSpec)
}

// Secret names that carry registry credentials (upstream's names, contract §3.3 DevPod).
const (
	secretDockerUsername = "DOCKER_USERNAME"
	secretDockerPassword = "DOCKER_PASSWORD"
	secretDockerRegistry = "DOCKER_REGISTRY"
	secretGitHubToken    = "GITHUB_TOKEN"
	ghcrHost             = "ghcr.io"
)

// registryAuth is the credential chosen for one pull. source names the secrets it came from
// (for logs and errors); the values never leave header().
type registryAuth struct {
	host     string
	source   string
	username string
	password string
}

// header encodes the credential for the Engine API's X-Registry-Auth header ("" = anonymous).
func (a registryAuth) header() (string, error) {
	if a.username == "" {
		return "", nil
	}
	b, err := json.Marshal(registry.AuthConfig{Username: a.username, Password: a.password, ServerAddress: a.host})
	if err != nil {
		return "", err
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

// registryHost returns the registry an image reference is pulled from ("docker.io" for Docker
// Hub names), or an error wrapping providers.ErrInvalidSpec for a malformed reference.
func registryHost(image string) (string, error) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", fmt.Errorf("docker: image %q: %w: %w", image, providers.ErrInvalidSpec, err)
	}
	return reference.Domain(named), nil
}

// normalizeRegistry reduces a DOCKER_REGISTRY value ("https://ghcr.io/org", "index.docker.io")
// to the host the engine pulls from.
func normalizeRegistry(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "https://"), "http://")
	if i := strings.Index(s, "/"); i >= 0 {
		s = s[:i]
	}
	switch s {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return "docker.io"
	}
	return strings.ToLower(s)
}

// authFor picks the credential for host from the spec's credentials (Spec.Credentials, the
// names in Capabilities.Credentials), falling back to its delivered env secrets:
// DOCKER_USERNAME + DOCKER_PASSWORD for the image's registry (or only for DOCKER_REGISTRY when
// that is set), else GITHUB_TOKEN (an ordinary secret) for ghcr.io, else anonymous. note says
// why declared credentials were not used, for the log.
func (d *desired) authFor(host string) (auth registryAuth, note string) {
	vals := map[string]string{}
	for _, s := range d.secrets {
		vals[s.Name] = s.value
	}
	for name, v := range d.credentials {
		vals[name] = v
	}
	auth.host = host
	user, pass := vals[secretDockerUsername], vals[secretDockerPassword]
	switch {
	case user != "" && pass != "":
		if reg := vals[secretDockerRegistry]; reg != "" && normalizeRegistry(reg) != host {
			// The registry's name came from a secret too, so it is not repeated here.
			note = fmt.Sprintf("%s names another registry than %s; %s/%s not sent", secretDockerRegistry, host,
				secretDockerUsername, secretDockerPassword)
			break
		}
		auth.username, auth.password = user, pass
		auth.source = secretDockerUsername + "/" + secretDockerPassword
		return auth, ""
	case user != "" || pass != "":
		note = fmt.Sprintf("only one of %s and %s is set; not sent", secretDockerUsername, secretDockerPassword)
	}
	if tok := vals[secretGitHubToken]; tok != "" && host == ghcrHost {
		// ghcr.io takes any non-empty user name with a token (contract §1.3.2 uses "token").
		auth.username, auth.password, auth.source = "token", tok, secretGitHubToken
	}
	return auth, note
}

// ensureImage makes d.Image present on the engine as d.PullPolicy says and sets d.ImageID:
// IfNotPresent pulls only a missing image, Always pulls every time, Never only inspects.
// Errors: providers.ErrNotFound (missing and Never, or unknown to the registry),
// ErrRegistryAuth (registry refused), transient errors wrapping providers.ErrUnavailable
// (registry unreachable or failing with 5xx), providers.ErrInvalidSpec (malformed reference).
func (p *Provider) ensureImage(ctx context.Context, d *desired, r providers.Reporter) error {
	if d.PullPolicy != pullAlways {
		err := p.resolveImage(ctx, d)
		if err == nil || d.PullPolicy == pullNever || !isNotFound(err) {
			return err
		}
	}
	if err := p.pull(ctx, d, r); err != nil {
		return err
	}
	return p.resolveImage(ctx, d)
}

// pull pulls d.Image, reporting a few lines (start, digest, result, layer count) rather than
// the engine's per-layer progress.
func (p *Provider) pull(ctx context.Context, d *desired, r providers.Reporter) error {
	host, err := registryHost(d.Image)
	if err != nil {
		return err
	}
	auth, note := d.authFor(host)
	if note != "" {
		r.Log("warning: registry credentials: " + note)
	}
	hdr, err := auth.header()
	if err != nil {
		return fmt.Errorf("docker: pull %s: encode registry credentials: %w", d.Image, err)
	}
	who := "anonymously"
	if auth.source != "" {
		who = "with credentials from " + auth.source
	}
	r.Log(fmt.Sprintf("pulling %s from %s %s (pull_policy %s)", d.Image, host, who, d.PullPolicy))
	start := time.Now()
	resp, err := p.cli.ImagePull(ctx, d.Image, client.ImagePullOptions{RegistryAuth: hdr})
	if err != nil {
		return p.pullError(d, host, auth, err)
	}
	layers, present := 0, 0
	meter := newPullMeter(d.Image, r)
	for m, err := range resp.JSONMessages(ctx) {
		if err != nil {
			return p.pullError(d, host, auth, err)
		}
		if m.Error != nil {
			return p.pullError(d, host, auth, engineStreamError{m.Error.Code, m.Error.Message})
		}
		switch {
		case m.ID != "" && m.Status == "Downloading" && m.Progress != nil:
			meter.downloading(m.ID, m.Progress.Current, m.Progress.Total)
		case m.ID != "" && m.Status == "Download complete":
			meter.downloaded(m.ID)
		case m.ID != "" && m.Status == "Pull complete":
			layers++
		case m.ID != "" && m.Status == "Already exists":
			layers++
			present++
		case m.ID == "" && m.Status != "":
			r.Log("pull: " + m.Status)
		}
	}
	meter.done()
	r.Log(fmt.Sprintf("pulled %s in %s: %d new layer(s), %d already present", d.Image,
		time.Since(start).Round(10*time.Millisecond), layers-present, present))
	return nil
}

// engineStreamError is an error the engine reported inside the pull's progress stream.
type engineStreamError struct {
	code    int
	message string
}

func (e engineStreamError) Error() string { return e.message }

// pullFailure is what a failed pull means for the caller.
type pullFailure int

const (
	pullFailOther pullFailure = iota
	pullFailNotFound
	pullFailAuth
	pullFailUnreachable
	pullFailNoHost
)

// engineMessages classifies pull failures of engines that return them untyped (HTTP 500 with
// the registry client's message; Docker 20.10 does this for every registry error). It is the
// one place this package reads error text, because the engine gives nothing else to go on;
// typed errors from newer engines are checked first.
var engineMessages = []struct {
	text string
	kind pullFailure
}{
	// Local failures first: "permission denied" from the engine's own disk is no registry's answer.
	{"permission denied", pullFailOther},
	{"manifest unknown", pullFailNotFound},
	{"name unknown", pullFailNotFound},
	{"not found", pullFailNotFound},
	{"repository does not exist", pullFailNotFound},
	{"no basic auth credentials", pullFailAuth},
	{"unauthorized", pullFailAuth},
	{"authentication required", pullFailAuth},
	{"denied:", pullFailAuth},
	{"access denied", pullFailAuth},
	{"received unexpected http status: 5", pullFailUnreachable},
	{"connection refused", pullFailUnreachable},
	{"no such host", pullFailNoHost},
	{"i/o timeout", pullFailUnreachable},
	{"tls handshake timeout", pullFailUnreachable},
	{"connection reset", pullFailUnreachable},
	{"server misbehaving", pullFailUnreachable},
	{"toomanyrequests", pullFailUnreachable},
	{"service unavailable", pullFailUnreachable},
}

func classifyPull(err error) pullFailure {
	var se engineStreamError
	switch {
	case cerrdefs.IsUnauthorized(err), cerrdefs.IsPermissionDenied(err):
		return pullFailAuth
	case cerrdefs.IsNotFound(err):
		return pullFailNotFound
	case cerrdefs.IsUnavailable(err), cerrdefs.IsDeadlineExceeded(err):
		return pullFailUnreachable
	case errors.As(err, &se) && se.code == 401:
		return pullFailAuth
	case errors.As(err, &se) && se.code == 404:
		return pullFailNotFound
	case errors.As(err, &se) && (se.code == 429 || se.code >= 500):
		return pullFailUnreachable
	}
	msg := strings.ToLower(err.Error())
	for _, m := range engineMessages {
		if strings.Contains(msg, m.text) {
			return m.kind
		}
	}
	return pullFailOther
}

// pullError turns a failed pull into an error naming the image and registry. It never
// includes credential values.
func (p *Provider) pullError(d *desired, host string, auth registryAuth, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, fs.ErrPermission) || client.IsErrConnectionFailed(err) {
		return p.wrap("pull image "+d.Image, err)
	}
	switch classifyPull(err) {
	case pullFailNotFound:
		return fmt.Errorf("docker: pull %s: the image is not on registry %s (check the name and tag; a private image may also look missing without credentials): %w: %w",
			d.Image, host, providers.ErrNotFound, err)
	case pullFailAuth:
		hint := fmt.Sprintf("declare %s and %s as secrets in sindri.yaml", secretDockerUsername, secretDockerPassword)
		if host == ghcrHost {
			hint += fmt.Sprintf(", or %s with read:packages", secretGitHubToken)
		}
		if auth.source != "" {
			hint = fmt.Sprintf("the credentials from %s were rejected; check them and their access to this repository", auth.source)
		}
		return fmt.Errorf("docker: pull %s: registry %s refused access (unauthorized): %s: %w: %w",
			d.Image, host, hint, ErrRegistryAuth, err)
	case pullFailNoHost:
		// A registry name that does not resolve is almost always a typo in the image name;
		// retrying for minutes would only delay the answer.
		return fmt.Errorf("docker: pull %s: the registry host %s does not resolve (check the image name; the engine at %s could not look it up): %w: %w",
			d.Image, host, p.host, providers.ErrNotFound, err)
	case pullFailUnreachable:
		return providers.Transient(fmt.Errorf("docker: pull %s: registry %s is unreachable or failing, try again later: %w: %w",
			d.Image, host, providers.ErrUnavailable, err))
	}
	return p.wrap("pull image "+d.Image+" from "+host, err)
}
