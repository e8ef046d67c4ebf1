// Package flytest is a stateful, strict fake of the Fly.io Machines API for tests of the fly
// provider, built on internal/apifake (fault rules, request log, Lag, strict decoding).
//
// It models what shared/spec/provider-apis/fly.md says a faithful fake must: apps in one global
// name space (another organization's app answers 403, a taken name 422 name_taken), new apps
// invisible (404, or 401) for a few reads, machines moving through the state table
// Transitions on a clock, /wait with integer-second timeouts and 408, destroyed machines
// readable for a grace period, volumes bound to their machine for a while after it is
// destroyed (412) and soft-deleted (pending_destroy) in lists, secrets with versions and
// min_secrets_version, IP assignments, leases, a regional memory quota, exec on started
// machines (a few deterministic commands, see run) and fly-request-id on every response. Unknown request fields, a missing Authorization header and a machine state
// the table does not allow are violations that fail the test.
package flytest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
)

// DefaultToken is the token the fake accepts unless Options names others.
const DefaultToken = "fly-test-token"

// Regions are the regions the fake knows; others are refused with 422.
var Regions = []string{"ams", "arn", "bom", "cdg", "dfw", "ewr", "fra", "gru", "iad", "jnb",
	"lax", "lhr", "nrt", "ord", "sin", "sjc", "syd", "yyz"}

// Options shape the fake. Zero durations make transitions happen at the next observation.
type Options struct {
	// Tokens maps each accepted token to the organizations it sees (default: DefaultToken
	// sees "personal").
	Tokens map[string][]string
	// AppLag hides a new app from GET for this many reads (404, or 401 with LagUnauthorized).
	AppLag          int
	LagUnauthorized bool
	// StartDelay, StopDelay, DestroyDelay: how long starting, stopping/suspending and
	// destroying last.
	StartDelay, StopDelay, DestroyDelay time.Duration
	// DestroyedGrace: how long GET still shows a destroyed machine before it 404s.
	DestroyedGrace time.Duration
	// BindGrace: how long a volume stays bound after its machine is destroyed.
	BindGrace time.Duration
	// AppDeleteDelay: how long a deleted app still answers GET.
	AppDeleteDelay time.Duration
	// WaitNotFoundOnce makes the first /wait of each new machine answer 404.
	WaitNotFoundOnce bool
	// StopConflict makes stop of a machine that is not started answer 409 (2022 behaviour).
	StopConflict bool
	// Crash reports whether an image's guest exits with code 1 right after it starts.
	Crash func(image string) bool
	// MemoryQuotaMB caps the memory of an organization's machines per region (0: none); a
	// create over it answers 403 as Fly does.
	MemoryQuotaMB int
	// API are further apifake options (WithSeed, rules, CollectViolations).
	API []apifake.Option
}

// Fake is the fake Machines API. Its methods are safe for concurrent use.
type Fake struct {
	// API is the fault-injecting server in front of the fake: add Rules to it.
	API *apifake.Server
	// URL is the API root, /v1 included, for the provider's APIURL.
	URL string

	opts Options
	lag  *apifake.Lag
	mux  *http.ServeMux

	mu     sync.Mutex
	apps   map[string]*fApp
	serial int
}

type fApp struct {
	id, name, org, status string
	created               time.Time
	deletedAt             time.Time // zero while live
	machines              map[string]*fMachine
	volumes               map[string]*fVolume
	secrets               map[string]string
	secretsVersion        uint64
	ips                   []ipJSON
}

type fMachine struct {
	id, name, region, state, instance string
	privateIP                         string
	config                            machineConfig
	events                            []event
	created, updated                  time.Time
	// next is the scheduled transition: state at time at ("" when none).
	next       string
	at         time.Time
	restarts   int
	destroyed  time.Time
	waited     bool
	leaseNonce string
}

type fVolume struct {
	id, name, region, state string
	sizeGB                  int
	attached                string
	boundUntil              time.Time
	created                 time.Time
	retention               int
}

// New starts a fake; it is closed by t.Cleanup.
func New(t testing.TB, opts Options) *Fake {
	t.Helper()
	if opts.Tokens == nil {
		opts.Tokens = map[string][]string{DefaultToken: {"personal"}}
	}
	f := &Fake{opts: opts, apps: map[string]*fApp{}, lag: apifake.NewLag(0, opts.AppLag), mux: http.NewServeMux()}
	f.routes()
	apiOpts := append([]apifake.Option{
		apifake.WithName("flyfake"),
		apifake.WithRequestID("fly-request-id"),
		apifake.WithErrorBody(func(status int) any { return map[string]string{"error": strings.ToLower(http.StatusText(status))} }),
	}, opts.API...)
	f.API = apifake.New(t, authed{f}, apiOpts...)
	f.URL = f.API.URL + "/v1"
	return f
}

// Token returns a token the fake accepts.
func (f *Fake) Token() string {
	for _, k := range slices.Sorted(maps.Keys(f.opts.Tokens)) {
		return k
	}
	return ""
}

// Client returns an HTTP client for the fake.
func (f *Fake) Client() *http.Client { return f.API.Client() }

// authed checks the Authorization header before the mux; it exposes the mux's Handler so the
// request log names routes by pattern.
type authed struct{ f *Fake }

func (a authed) Handler(r *http.Request) (http.Handler, string) { return a.f.mux.Handler(r) }

func (a authed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := r.Header.Get("Authorization")
	if h == "" {
		a.f.API.Violationf("%s %s: no Authorization header", r.Method, r.URL.Path)
		fail(w, http.StatusUnauthorized, "missing authorization", "")
		return
	}
	if _, ok := a.f.orgsOf(r); !ok {
		fail(w, http.StatusUnauthorized, "invalid token", "")
		return
	}
	a.f.mux.ServeHTTP(w, r)
}

// orgsOf returns the organizations r's token sees: `Bearer X`, `FlyV1 X` and `Bearer FlyV1 X`
// are accepted forms (fly.md §1.2).
func (f *Fake) orgsOf(r *http.Request) ([]string, bool) {
	h := r.Header.Get("Authorization")
	for _, prefix := range []string{"Bearer FlyV1 ", "Bearer ", "FlyV1 "} {
		if tok, ok := strings.CutPrefix(h, prefix); ok {
			orgs, known := f.opts.Tokens[tok]
			return orgs, known
		}
	}
	return nil, false
}

func fail(w http.ResponseWriter, status int, msg, class string) {
	body := map[string]string{"error": msg}
	if class != "" {
		body["status"] = class
	}
	apifake.WriteJSON(w, status, body)
}

func (f *Fake) routes() {
	m := f.mux
	m.HandleFunc("POST /v1/apps", f.createApp)
	m.HandleFunc("GET /v1/apps", f.listApps)
	m.HandleFunc("GET /v1/apps/{app}", f.getApp)
	m.HandleFunc("DELETE /v1/apps/{app}", f.deleteApp)
	m.HandleFunc("GET /v1/apps/{app}/machines", f.listMachines)
	m.HandleFunc("POST /v1/apps/{app}/machines", f.createMachine)
	m.HandleFunc("GET /v1/apps/{app}/machines/{id}", f.getMachine)
	m.HandleFunc("POST /v1/apps/{app}/machines/{id}", f.updateMachine)
	m.HandleFunc("DELETE /v1/apps/{app}/machines/{id}", f.destroyMachine)
	m.HandleFunc("POST /v1/apps/{app}/machines/{id}/start", f.start)
	m.HandleFunc("POST /v1/apps/{app}/machines/{id}/stop", f.stop)
	m.HandleFunc("POST /v1/apps/{app}/machines/{id}/suspend", f.suspend)
	m.HandleFunc("GET /v1/apps/{app}/machines/{id}/wait", f.wait)
	m.HandleFunc("POST /v1/apps/{app}/machines/{id}/lease", f.acquireLease)
	m.HandleFunc("DELETE /v1/apps/{app}/machines/{id}/lease", f.releaseLease)
	m.HandleFunc("POST /v1/apps/{app}/machines/{id}/metadata/{key}", f.setMetadata)
	m.HandleFunc("POST /v1/apps/{app}/machines/{id}/exec", f.exec)
	m.HandleFunc("GET /v1/apps/{app}/volumes", f.listVolumes)
	m.HandleFunc("POST /v1/apps/{app}/volumes", f.createVolume)
	m.HandleFunc("DELETE /v1/apps/{app}/volumes/{id}", f.deleteVolume)
	m.HandleFunc("GET /v1/apps/{app}/secrets", f.listSecrets)
	m.HandleFunc("POST /v1/apps/{app}/secrets", f.setSecrets)
	m.HandleFunc("GET /v1/apps/{app}/ip_assignments", f.listIPs)
	m.HandleFunc("POST /v1/apps/{app}/ip_assignments", f.allocateIP)
	m.HandleFunc("DELETE /v1/apps/{app}/ip_assignments/{ip}", f.releaseIP)
}

// nextSerial returns a fresh number for ids; callers hold f.mu.
func (f *Fake) nextSerial() int {
	f.serial++
	return f.serial
}

var appNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// SeedApp makes an app owned by org, as another team's would be: a token that does not see
// org gets 403 on it, and creating its name answers name_taken.
func (f *Fake) SeedApp(name, org string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps[name] = f.newApp(name, org)
}

func (f *Fake) newApp(name, org string) *fApp {
	return &fApp{id: fmt.Sprintf("app%05d", f.nextSerial()), name: name, org: org, status: appPending, created: time.Now(),
		machines: map[string]*fMachine{}, volumes: map[string]*fVolume{}, secrets: map[string]string{}}
}

// liveApp returns app name when it exists and is not deleted (deleted apps linger for
// AppDeleteDelay, answering GET only). Callers hold f.mu.
func (f *Fake) liveApp(name string) *fApp {
	a := f.apps[name]
	if a == nil {
		return nil
	}
	if !a.deletedAt.IsZero() {
		if time.Since(a.deletedAt) >= f.opts.AppDeleteDelay {
			delete(f.apps, name)
		}
		return nil
	}
	return a
}

// appFor resolves the {app} of r for a child route: 404 when absent, 403 when the token does
// not see its org. It locks f.mu; on success the caller must unlock.
func (f *Fake) appFor(w http.ResponseWriter, r *http.Request) *fApp {
	f.mu.Lock()
	a := f.liveApp(r.PathValue("app"))
	if a == nil {
		f.mu.Unlock()
		fail(w, http.StatusNotFound, "app not found", "")
		return nil
	}
	orgs, _ := f.orgsOf(r)
	if !slices.Contains(orgs, a.org) {
		f.mu.Unlock()
		fail(w, http.StatusForbidden, "unauthorized", "")
		return nil
	}
	f.advanceApp(a, time.Now())
	return a
}

func (f *Fake) createApp(w http.ResponseWriter, r *http.Request) {
	var b createAppBody
	if !f.decodeBody(w, r, &b) {
		return
	}
	name := b.Name
	if name == "" {
		name = b.AppName
	}
	orgs, _ := f.orgsOf(r)
	switch {
	case name == "":
		fail(w, http.StatusUnprocessableEntity, "Validation failed: Name can't be blank", "")
		return
	case len(name) >= 63 || !appNameRE.MatchString(name):
		fail(w, http.StatusUnprocessableEntity, "Validation failed: Name under 63 chars using numbers, lowercase letters and dashes", "")
		return
	case !slices.Contains(orgs, b.OrgSlug):
		fail(w, http.StatusForbidden, "unauthorized", "")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.apps[name] != nil {
		fail(w, http.StatusUnprocessableEntity, "Validation failed: Name has already been taken", "name_taken")
		return
	}
	a := f.newApp(name, b.OrgSlug)
	f.apps[name] = a
	f.lag.Created(name)
	apifake.WriteJSON(w, http.StatusCreated, f.appJSON(a))
}

func (f *Fake) appJSON(a *fApp) appJSON {
	return appJSON{ID: a.id, Name: a.name, Status: a.status, Organization: orgJSON{Name: a.org, Slug: a.org},
		MachineCount: len(a.machines), VolumeCount: len(a.volumes), CreatedAt: a.created.UnixMilli()}
}

func (f *Fake) getApp(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("app")
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.apps[name]
	if a != nil && !a.deletedAt.IsZero() && time.Since(a.deletedAt) >= f.opts.AppDeleteDelay {
		delete(f.apps, name)
		a = nil
	}
	orgs, _ := f.orgsOf(r)
	switch {
	case a == nil:
		fail(w, http.StatusNotFound, "app not found", "")
	case !slices.Contains(orgs, a.org):
		fail(w, http.StatusForbidden, "unauthorized", "")
	case !f.lag.Visible(name):
		if f.opts.LagUnauthorized {
			fail(w, http.StatusUnauthorized, "unauthorized", "")
			return
		}
		fail(w, http.StatusNotFound, "app not found", "")
	default:
		apifake.WriteJSON(w, http.StatusOK, f.appJSON(a))
	}
}

func (f *Fake) listApps(w http.ResponseWriter, r *http.Request) {
	org := r.URL.Query().Get("org_slug")
	orgs, _ := f.orgsOf(r)
	if org == "" {
		fail(w, http.StatusBadRequest, "org_slug is required", "")
		return
	}
	if !slices.Contains(orgs, org) {
		fail(w, http.StatusForbidden, "unauthorized", "")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := struct {
		TotalApps int       `json:"total_apps"`
		Apps      []appJSON `json:"apps"`
	}{Apps: []appJSON{}}
	for _, name := range slices.Sorted(maps.Keys(f.apps)) {
		if a := f.liveApp(name); a != nil && a.org == org {
			out.Apps = append(out.Apps, f.appJSON(a))
		}
	}
	out.TotalApps = len(out.Apps)
	apifake.WriteJSON(w, http.StatusOK, out)
}

// deleteApp answers 202 and takes the app's machines, volumes and addresses with it.
func (f *Fake) deleteApp(w http.ResponseWriter, r *http.Request) {
	f.withApp(w, r, func(a *fApp) {
		a.deletedAt = time.Now()
		w.WriteHeader(http.StatusAccepted)
	})
}

// digest is a secret's digest as the fake shows it.
func digest(v string) string {
	s := sha256.Sum256([]byte(v))
	return hex.EncodeToString(s[:8])
}

func (f *Fake) listSecrets(w http.ResponseWriter, r *http.Request) {
	f.withApp(w, r, func(a *fApp) {
		apifake.WriteJSON(w, http.StatusOK, map[string]any{"secrets": f.secretList(a)})
	})
}

func (f *Fake) secretList(a *fApp) []secretJSON {
	out := []secretJSON{}
	for _, n := range slices.Sorted(maps.Keys(a.secrets)) {
		ts := a.created.UTC().Format(time.RFC3339)
		out = append(out, secretJSON{Name: n, Digest: digest(a.secrets[n]), CreatedAt: ts, UpdatedAt: ts})
	}
	return out
}

var secretNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (f *Fake) setSecrets(w http.ResponseWriter, r *http.Request) {
	var b secretsBody
	if !f.decodeBody(w, r, &b) {
		return
	}
	f.withApp(w, r, func(a *fApp) {
		for n := range b.Values {
			if !secretNameRE.MatchString(n) {
				fail(w, http.StatusBadRequest, "invalid secret name "+n, "")
				return
			}
		}
		for n, v := range b.Values {
			if v == nil {
				delete(a.secrets, n)
			} else {
				a.secrets[n] = *v
			}
		}
		a.secretsVersion++
		apifake.WriteJSON(w, http.StatusOK, map[string]any{"secrets": f.secretList(a), "version": a.secretsVersion, "Version": a.secretsVersion})
	})
}

func (f *Fake) listIPs(w http.ResponseWriter, r *http.Request) {
	f.withApp(w, r, func(a *fApp) {
		apifake.WriteJSON(w, http.StatusOK, map[string]any{"ips": append([]ipJSON{}, a.ips...)})
	})
}

func (f *Fake) allocateIP(w http.ResponseWriter, r *http.Request) {
	var b ipBody
	if !f.decodeBody(w, r, &b) {
		return
	}
	f.withApp(w, r, func(a *fApp) {
		n := f.nextSerial()
		ip := ipJSON{Region: "global", CreatedAt: time.Now().UTC().Format(time.RFC3339)}
		switch b.Type {
		case "v6":
			ip.IP = fmt.Sprintf("2a09:8280:1::%x", n)
		case "shared_v4":
			ip.IP, ip.Shared = "66.241.124.11", true
		case "v4":
			ip.IP = fmt.Sprintf("137.66.%d.%d", n/250, n%250+1)
		case "private_v6":
			ip.IP = fmt.Sprintf("fdaa:0:1::%x", n)
		default:
			fail(w, http.StatusBadRequest, "invalid ip type "+b.Type, "")
			return
		}
		a.ips = append(a.ips, ip)
		apifake.WriteJSON(w, http.StatusOK, ip)
	})
}

func (f *Fake) releaseIP(w http.ResponseWriter, r *http.Request) {
	f.withApp(w, r, func(a *fApp) {
		i := slices.IndexFunc(a.ips, func(ip ipJSON) bool { return ip.IP == r.PathValue("ip") })
		if i < 0 {
			fail(w, http.StatusNotFound, "ip not found", "")
			return
		}
		a.ips = slices.Delete(a.ips, i, i+1)
		w.WriteHeader(http.StatusNoContent)
	})
}

// Inventory lists the objects of app name by identity: app/<id>, machine/<id> (not
// destroyed), volume/<id> (not soft-deleted) and ip/<address>; empty when the app is gone.
func (f *Fake) Inventory(name string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.liveApp(name)
	if a == nil {
		return nil
	}
	f.advanceApp(a, time.Now())
	out := []string{"app/" + a.id}
	for _, m := range a.machines {
		if m.state != stateDestroyed {
			out = append(out, "machine/"+m.id)
		}
	}
	for _, v := range a.volumes {
		if v.state != volumePendingDestroy {
			out = append(out, "volume/"+v.id)
		}
	}
	for _, ip := range a.ips {
		out = append(out, "ip/"+ip.IP)
	}
	sort.Strings(out)
	return out
}

// MachineState returns the state of app's only live machine, "" when there is none.
func (f *Fake) MachineState(appName string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m := f.liveMachine(appName); m != nil {
		return m.state
	}
	return ""
}

// liveMachine returns app's live machine, nil when there is none. f.mu is held.
func (f *Fake) liveMachine(appName string) *fMachine {
	a := f.liveApp(appName)
	if a == nil {
		return nil
	}
	f.advanceApp(a, time.Now())
	for _, m := range a.machines {
		if m.state != stateDestroyed {
			return m
		}
	}
	return nil
}

// Secrets returns the app's secret values by name (for tests that check delivery).
func (f *Fake) Secrets(appName string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a := f.liveApp(appName); a != nil {
		return maps.Clone(a.secrets)
	}
	return nil
}

// MachineEnv returns the env of app's live machines' configs, joined, for tests that check no
// secret is in it.
func (f *Fake) MachineEnv(appName string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	if a := f.liveApp(appName); a != nil {
		for _, m := range a.machines {
			maps.Copy(out, m.config.Env)
		}
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// decodeBody decodes r's body strictly into v; a body that does not decode is answered 400
// (and is a violation).
func (f *Fake) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if f.API.DecodeJSON(r, v) != nil {
		fail(w, http.StatusBadRequest, "invalid request body", "")
		return false
	}
	return true
}

// withApp runs fn on r's app with f.mu held; appFor answers when there is none.
func (f *Fake) withApp(w http.ResponseWriter, r *http.Request, fn func(a *fApp)) {
	a := f.appFor(w, r)
	if a == nil {
		return
	}
	defer f.mu.Unlock()
	fn(a)
}

// withMachine runs fn on r's machine with f.mu held, after checking its lease nonce when lease
// is set; machineFor answers when there is none.
func (f *Fake) withMachine(w http.ResponseWriter, r *http.Request, lease bool, fn func(a *fApp, m *fMachine)) {
	a, m := f.machineFor(w, r)
	if m == nil {
		return
	}
	defer f.mu.Unlock()
	if lease && !f.leaseOK(w, r, m) {
		return
	}
	fn(a, m)
}

// MachineVolume returns the id of the volume mounted on app's live machine, "" when there is
// no machine or no mount (the conformance suite's persistence check: Stop and Start must
// attach the same volume again).
func (f *Fake) MachineVolume(appName string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m := f.liveMachine(appName); m != nil {
		return volumeOf(m.config)
	}
	return ""
}
