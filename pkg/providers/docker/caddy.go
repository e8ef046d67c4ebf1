package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// CaddyServerName is the server of Caddy's http app that the route sync owns: it replaces that
// server's whole configuration on every sync and touches nothing else in Caddy's config.
const CaddyServerName = "sindri_previews"

// caddySync loads one route per running, publicly routed environment into a Caddy server
// through Caddy's admin API. Each sync writes the full set, computed from the engine's
// labelled containers, so a lost or out-of-order update is repaired by the next one.
type caddySync struct {
	admin  string   // admin API base URL, e.g. http://127.0.0.1:2019
	shown  string   // admin, its password (if any) masked: the form messages name
	listen []string // the server's listen addresses
	https  bool
	hc     *http.Client
	mu     sync.Mutex // one list-then-load at a time, so two deploys cannot drop each other's route
}

// newCaddySync checks the admin address and picks the listen address: listen when set, else
// the public URL's port, else :443 or :80. Errors wrap providers.ErrInvalidSpec.
func newCaddySync(admin, listen string, pub *publicURL) (*caddySync, error) {
	if pub == nil {
		return nil, fmt.Errorf("docker: caddy_admin (SINDRI_DOCKER_CADDY_ADMIN) is set without public_url (SINDRI_DOCKER_PUBLIC_URL): %w: set both, or neither", providers.ErrInvalidSpec)
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("docker: caddy_admin (SINDRI_DOCKER_CADDY_ADMIN): %w: an http:// address of Caddy's admin API is required, e.g. http://127.0.0.1:2019", providers.ErrInvalidSpec)
	}
	if listen == "" {
		port := pub.port
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[pub.scheme]
		}
		listen = ":" + port
	}
	var addrs []string
	for _, a := range strings.Split(listen, ",") {
		a = strings.TrimSpace(a)
		if _, p, err := net.SplitHostPort(a); err != nil || p == "" {
			return nil, fmt.Errorf("docker: caddy_listen (SINDRI_DOCKER_CADDY_LISTEN): %w: host:port addresses separated by commas are required, e.g. :443", providers.ErrInvalidSpec)
		}
		addrs = append(addrs, a)
	}
	return &caddySync{admin: strings.TrimSuffix(u.String(), "/"), shown: strings.TrimSuffix(u.Redacted(), "/"), listen: addrs, https: pub.scheme == "https",
		hc: &http.Client{Timeout: 15 * time.Second}}, nil
}

// caddyRoute is one environment's route.
type caddyRoute struct {
	env, host, upstream string
}

// Maintain implements providers.Maintainer: it rewrites the proxy's routes (SyncRoutes), and
// does nothing without a Caddy admin address.
func (p *Provider) Maintain(ctx context.Context) error { return p.SyncRoutes(ctx) }

// SyncRoutes loads into Caddy one route per running, publicly routed environment on the
// engine (containers carrying LabelPublicURL), replacing the routes of stopped and removed
// ones. It does nothing when the provider has no Caddy admin address. Deploy, Start, Stop and
// Destroy call it, and Maintain: the executor runs that at start-up and every few minutes, which
// repairs a Caddy that lost its config (restarted without --resume, reloaded by hand).
// Errors wrap providers.ErrUnavailable (Caddy or the engine unreachable, Caddy refusing).
func (p *Provider) SyncRoutes(ctx context.Context) error {
	cs := p.caddy
	if cs == nil {
		return nil
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	routes, err := p.publicRoutes(ctx)
	if err != nil {
		return err
	}
	return cs.load(ctx, routes)
}

// publicRoutes lists the running containers with a public route and their upstreams.
func (p *Provider) publicRoutes(ctx context.Context) ([]caddyRoute, error) {
	f := make(client.Filters).Add("label", providers.LabelManagedBy+"="+providers.ManagedByValue, LabelPublicURL)
	list, err := p.cli.ContainerList(ctx, client.ContainerListOptions{Filters: f})
	if err != nil {
		return nil, p.wrap("list routed containers", err)
	}
	var out []caddyRoute
	for _, c := range list.Items {
		if c.State != container.StateRunning {
			continue
		}
		u, err := url.Parse(c.Labels[LabelPublicURL])
		if err != nil || u.Hostname() == "" {
			continue
		}
		want, _ := strconv.Atoi(c.Labels[LabelProxyPort])
		for _, pt := range c.Ports {
			if int(pt.PrivatePort) != want || pt.Type != "tcp" || pt.PublicPort == 0 {
				continue
			}
			ip := ""
			if pt.IP.IsValid() {
				ip = pt.IP.String()
			}
			out = append(out, caddyRoute{env: c.Labels[providers.LabelEnv], host: u.Hostname(),
				upstream: net.JoinHostPort(dialHost(ip), strconv.Itoa(int(pt.PublicPort)))})
			break // one binding is enough (the engine may list IPv4 and IPv6 ones)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].host < out[j].host })
	return out, nil
}

// serverConfig is the Caddy JSON of the owned server.
func (cs *caddySync) serverConfig(routes []caddyRoute) map[string]any {
	rs := make([]any, 0, len(routes))
	for _, r := range routes {
		rs = append(rs, map[string]any{
			"@id":   "sindri-" + r.env,
			"match": []any{map[string]any{"host": []string{r.host}}},
			"handle": []any{map[string]any{
				"handler":   "reverse_proxy",
				"upstreams": []any{map[string]any{"dial": r.upstream}},
			}},
			"terminal": true,
		})
	}
	srv := map[string]any{"listen": cs.listen, "routes": rs}
	if !cs.https {
		// Plain-HTTP previews: no certificates and no redirect to HTTPS.
		srv["automatic_https"] = map[string]any{"disable": true}
	}
	return srv
}

// load writes the owned server. Caddy's admin API sets a key only under an existing parent,
// so on a Caddy without an http app it creates the missing levels, deepest first: an
// existing apps or http object is never replaced.
func (cs *caddySync) load(ctx context.Context, routes []caddyRoute) error {
	var v any = cs.serverConfig(routes)
	path := []string{"apps", "http", "servers", CaddyServerName}
	var first error
	for n := len(path); n >= 1; n-- {
		err := cs.post(ctx, "/config/"+strings.Join(path[:n], "/"), v)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
		var refused *caddyRefusal
		if !errors.As(err, &refused) {
			return err
		}
		v = map[string]any{path[n-1]: v}
	}
	return fmt.Errorf("docker: caddy routes: the admin API at %s refused server %s: %w: %w", cs.shown, CaddyServerName, providers.ErrUnavailable, first)
}

// caddyRefusal is a non-2xx answer of the admin API.
type caddyRefusal struct {
	status int
	msg    string
}

func (e *caddyRefusal) Error() string { return fmt.Sprintf("status %d: %s", e.status, e.msg) }

func (cs *caddySync) post(ctx context.Context, path string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("docker: caddy routes: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cs.admin+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("docker: caddy routes: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := cs.hc.Do(req)
	if err != nil {
		return providers.Transient(fmt.Errorf("docker: caddy routes: admin API at %s unreachable (caddy_admin): %w: %w", cs.shown, providers.ErrUnavailable, err))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(msg, &e) == nil && e.Error != "" {
			msg = []byte(e.Error)
		}
		return &caddyRefusal{status: resp.StatusCode, msg: strings.TrimSpace(string(msg))}
	}
	return nil
}
