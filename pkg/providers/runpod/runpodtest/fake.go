// Package runpodtest is a stateful fake of the RunPod REST v2 pod API for tests, built on
// internal/apifake: strict bodies (unknown fields are violations), bearer auth, the pod
// status machine PROVISIONING → STARTING → RUNNING (the public address only once RUNNING),
// stop/start with new public ports every time, TERMINATED tombstones in lists, capacity
// errors for chosen GPUs, a host without free GPUs on start, crash-looping images, and
// apifake's fault rules (5xx after a create, chaos).
package runpodtest

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/catalog"
)

// Messages the fake answers with, as the notes record RunPod's.
const (
	MsgNoInstances = "There are no longer any instances available with the requested specifications. Please refresh and try again."
	MsgNoFreeGPUs  = "There are not enough free GPUs on the host machine to start this pod."
)

// CrashImage is an image whose container fails at start: its pod goes to ERROR with logs.
const CrashImage = "example.com/crashloop:latest"

// Fake is the fake RunPod API. Its fields may be changed between requests under Lock.
type Fake struct {
	// API is the fault-injecting server; API.URL + "/v2" is the base URL.
	API *apifake.Server
	// Token is the accepted API key; ReadOnlyToken is accepted for reads only (403 on writes).
	Token, ReadOnlyToken string
	// BootPolls is how many GETs a pod spends in each of PROVISIONING and STARTING.
	BootPolls int
	// NoPublicIP makes COMMUNITY pods run without a public address.
	NoPublicIP bool
	// NoCapacity lists GPU ids for which create answers the capacity error.
	NoCapacity []string
	// NoFreeGPUOnStart makes start of a stopped GPU pod fail as the host's GPU is taken.
	NoFreeGPUOnStart bool
	// Tombstones keeps terminated pods in lists and GETs as TERMINATED (else 404).
	Tombstones bool
	// QuotaExceeded makes create answer 402 with a balance message.
	QuotaExceeded bool

	mu    sync.Mutex
	pods  map[string]*Pod
	order []string
	ports int
}

// Pod is the fake's record of a pod.
type Pod struct {
	ID, Name, Image, Status, Cloud string
	Env                            map[string]string
	Ports                          []string
	GPU                            *GPU
	CPU                            *CPU
	Disk                           int
	Persistent                     *Persistent
	// VolumeID identifies the pod volume made with the pod: stop, start and updates keep it
	// (only the container disk is reset); it goes with the pod.
	VolumeID      string
	DataCenterIDs []string
	StartSSH      bool
	PublicIP      string
	Mappings      map[int]int
	Polls         int
	Logs          []string
	CreatedAt     time.Time
	StartedAt     *time.Time
}

// GPU is the gpu block.
type GPU struct {
	ID    string `json:"id"`
	Count int    `json:"count,omitempty"`
}

// CPU is the cpu block.
type CPU struct {
	ID        string `json:"id"`
	VCPUCount int    `json:"vcpuCount"`
}

// Persistent is mounts.persistent.
type Persistent struct {
	Size int    `json:"size"`
	Path string `json:"path"`
}

type mounts struct {
	Persistent *Persistent `json:"persistent,omitempty"`
}

// createReq is CreatePodRequest, the fields the fake accepts (the schema's
// unevaluatedProperties: false makes anything else a 400, and here a violation).
type createReq struct {
	Name             string            `json:"name"`
	Image            string            `json:"image"`
	GPU              *GPU              `json:"gpu"`
	CPU              *CPU              `json:"cpu"`
	Cloud            string            `json:"cloud"`
	Disk             int               `json:"disk"`
	Mounts           *mounts           `json:"mounts"`
	Ports            []string          `json:"ports"`
	Env              map[string]string `json:"env"`
	DataCenterIDs    []string          `json:"dataCenterIds"`
	StartSSH         bool              `json:"startSsh"`
	StartJupyter     bool              `json:"startJupyter"`
	GlobalNetworking bool              `json:"globalNetworking"`
	Args             string            `json:"args"`
	Registry         *string           `json:"registry"`
	TemplateID       string            `json:"templateId"`
}

type updateReq struct {
	Image    string            `json:"image"`
	Disk     int               `json:"disk"`
	Mounts   *mounts           `json:"mounts"`
	Ports    []string          `json:"ports"`
	Env      map[string]string `json:"env"`
	Args     string            `json:"args"`
	Name     string            `json:"name"`
	Registry *string           `json:"registry"`
	Locked   *bool             `json:"locked"`
}

// New starts a fake accepting token, with opts for the apifake server.
func New(t apifake.TB, token string, opts ...apifake.Option) *Fake {
	f := &Fake{Token: token, BootPolls: 2, pods: map[string]*Pod{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/pods", f.list)
	mux.HandleFunc("POST /v2/pods", f.create)
	mux.HandleFunc("GET /v2/pods/{id}", f.get)
	mux.HandleFunc("PATCH /v2/pods/{id}", f.update)
	mux.HandleFunc("DELETE /v2/pods/{id}", f.delete)
	mux.HandleFunc("POST /v2/pods/{id}/action", f.action)
	mux.HandleFunc("GET /v2/pods/{id}/logs", f.logs)
	mux.HandleFunc("/v1/", f.retired)
	f.API = apifake.New(t, mux, append([]apifake.Option{apifake.WithName("runpodfake"),
		apifake.WithRequestID("X-Request-Id"), apifake.WithErrorBody(problemBody)}, opts...)...)
	return f
}

// URL is the base URL to configure the provider with.
func (f *Fake) URL() string { return f.API.URL + "/v2" }

// Lock runs fn with the fake's state locked, to change its switches.
func (f *Fake) Lock(fn func(f *Fake)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func problemBody(status int) any {
	return map[string]any{"title": http.StatusText(status), "status": status, "detail": strings.ToLower(http.StatusText(status))}
}

func problem(w http.ResponseWriter, status int, detail string) {
	apifake.WriteJSON(w, status, map[string]any{"title": http.StatusText(status), "status": status, "detail": detail})
}

// auth checks the key; write requests need the full-access key. A missing bearer header is
// the client's fault (a violation); a wrong key is the user's (401).
func (f *Fake) auth(w http.ResponseWriter, r *http.Request) bool {
	got := r.Header.Get("Authorization")
	if !strings.HasPrefix(got, "Bearer ") {
		f.API.CheckAuth(r, "Bearer "+f.Token)
		problem(w, http.StatusUnauthorized, "missing bearer token")
		return false
	}
	if got == "Bearer "+f.Token {
		return true
	}
	if f.ReadOnlyToken != "" && got == "Bearer "+f.ReadOnlyToken {
		if r.Method == http.MethodGet {
			return true
		}
		problem(w, http.StatusForbidden, "api key does not grant write access")
		return false
	}
	problem(w, http.StatusUnauthorized, "invalid bearer token")
	return false
}

// begin checks the key, decodes body (when not nil) strictly, and locks the state; the
// caller runs unlock. ok is false when an answer was already given.
func (f *Fake) begin(w http.ResponseWriter, r *http.Request, body any) (unlock func(), ok bool) {
	if !f.auth(w, r) {
		return nil, false
	}
	if body != nil {
		if err := f.API.DecodeJSON(r, body); err != nil {
			problem(w, http.StatusBadRequest, err.Error())
			return nil, false
		}
	}
	f.mu.Lock()
	return f.mu.Unlock, true
}

func (f *Fake) retired(w http.ResponseWriter, r *http.Request) {
	apifake.WriteJSON(w, http.StatusGone, map[string]string{"message": "REST API v1 was retired on 2026-11-15; use https://api.runpod.io/v2"})
}

// Pods returns the ids of the live pods whose SINDRI_ENV is env (any name), in creation order.
func (f *Fake) Pods(env string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, id := range f.order {
		if p := f.pods[id]; p.Status != "TERMINATED" && p.Env["SINDRI_ENV"] == env {
			out = append(out, id)
		}
	}
	return out
}

// HomeVolume returns the volume id of env's live pod ("" with no pod, or a pod without a
// volume): the identity the conformance suite's Persistence compares across stop and start.
func (f *Fake) HomeVolume(env string) string {
	ids := f.Pods(env)
	if len(ids) != 1 {
		return ""
	}
	p, _ := f.Pod(ids[0])
	return p.VolumeID
}

// Pod returns a copy of the pod id.
func (f *Fake) Pod(id string) (Pod, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pods[id]
	if !ok {
		return Pod{}, false
	}
	return *p, true
}

// Put adds a pod as if made elsewhere (a foreign pod, a duplicate), running.
func (f *Fake) Put(p Pod) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p.ID == "" {
		p.ID = newID()
	}
	if p.Status == "" {
		p.Status = "RUNNING"
	}
	p.CreatedAt = time.Now()
	f.pods[p.ID] = &p
	f.order = append(f.order, p.ID)
	if p.Status == "RUNNING" {
		f.publish(&p)
	}
	return p.ID
}

// SetStatus sets pod id's status (an interruptible pod reclaimed: EXITED).
func (f *Fake) SetStatus(id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.pods[id]; ok {
		p.Status = status
		if status != "RUNNING" {
			p.PublicIP, p.Mappings = "", nil
		}
	}
}

func newID() string {
	const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 14)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
		b[i] = alnum[n.Int64()]
	}
	return string(b)
}

// publish gives a running pod a public IP and new public ports, one per TCP port.
func (f *Fake) publish(p *Pod) {
	if f.NoPublicIP && p.Cloud == "COMMUNITY" {
		return
	}
	p.PublicIP = "203.0.113.7"
	p.Mappings = map[int]int{}
	for _, spec := range p.Ports {
		port, proto, _ := strings.Cut(spec, "/")
		var n int
		if _, err := fmt.Sscan(port, &n); err == nil && proto == "tcp" {
			f.ports++
			p.Mappings[n] = 10000 + f.ports
		}
	}
}

// advance moves a pod one poll along its boot.
func (f *Fake) advance(p *Pod) {
	switch p.Status {
	case "PROVISIONING", "STARTING":
		p.Polls++
		if p.Polls <= f.BootPolls {
			return
		}
		p.Polls = 0
		if p.Status == "PROVISIONING" {
			p.Status = "STARTING"
			return
		}
		if p.Image == CrashImage {
			p.Status = "ERROR"
			p.Logs = append(p.Logs, "starting server", "panic: cannot open /workspace/model.bin: no such file or directory", "container exited with code 2; restarting (backoff 10s)")
			return
		}
		p.Status = "RUNNING"
		now := time.Now()
		p.StartedAt = &now
		f.publish(p)
	}
}

// view is the Pod JSON of REST v2.
func (f *Fake) view(p *Pod) map[string]any {
	actions := map[string][]string{"PROVISIONING": {"stop", "terminate"}, "STARTING": {"stop", "terminate"},
		"RUNNING": {"stop", "restart", "terminate"}, "EXITED": {"start", "terminate"}, "ERROR": {"restart", "terminate"}, "TERMINATED": {}}[p.Status]
	var runtime any
	var direct any
	if p.Status == "RUNNING" {
		var ports []map[string]any
		for _, private := range sortedKeys(p.Mappings) {
			ports = append(ports, map[string]any{"private": private, "public": p.Mappings[private], "type": "tcp", "ip": p.PublicIP})
		}
		runtime = map[string]any{"uptime": 1, "ports": ports}
		if pub, ok := p.Mappings[22]; ok {
			direct = map[string]any{"host": p.PublicIP, "port": pub, "username": "root", "command": fmt.Sprintf("ssh root@%s -p %d", p.PublicIP, pub)}
		}
	}
	user := p.ID + "-64411eb2"
	v := map[string]any{
		"id": p.ID, "name": p.Name, "image": p.Image, "args": "", "disk": p.Disk, "ports": p.Ports, "env": p.Env,
		"registry": nil, "status": p.Status, "actions": actions, "cloud": p.Cloud, "dataCenterId": "US-KS-2",
		"cudaVersion": nil, "template": nil, "cost": 0.0, "locked": false, "globalNetworking": map[string]any{"enabled": false},
		"runtime": runtime, "createdAt": p.CreatedAt.UTC().Format(time.RFC3339), "startedAt": p.StartedAt,
		"ssh":    map[string]any{"proxy": map[string]any{"host": "ssh.runpod.io", "port": 22, "username": user, "command": "ssh " + user + "@ssh.runpod.io"}, "direct": direct},
		"mounts": map[string]any{},
	}
	if p.Persistent != nil {
		v["mounts"] = map[string]any{"persistent": p.Persistent}
	}
	if p.GPU != nil {
		v["gpu"] = p.GPU
	}
	if p.CPU != nil {
		v["cpu"] = map[string]any{"id": p.CPU.ID, "vcpuCount": p.CPU.VCPUCount, "memory": 2 * p.CPU.VCPUCount}
	}
	return v
}

func sortedKeys(m map[int]int) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (f *Fake) list(w http.ResponseWriter, r *http.Request) {
	unlock, ok := f.begin(w, r, nil)
	if !ok {
		return
	}
	defer unlock()
	pods := []map[string]any{}
	for _, id := range f.order {
		p := f.pods[id]
		if p.Status == "TERMINATED" && !f.Tombstones {
			continue
		}
		pods = append(pods, f.view(p))
	}
	apifake.WriteJSON(w, http.StatusOK, map[string]any{"pods": pods})
}

func (f *Fake) create(w http.ResponseWriter, r *http.Request) {
	var req createReq
	unlock, ok := f.begin(w, r, &req)
	if !ok {
		return
	}
	defer unlock()
	if msg := f.validate(req); msg != "" {
		problem(w, http.StatusBadRequest, msg)
		return
	}
	switch {
	case f.QuotaExceeded:
		problem(w, http.StatusPaymentRequired, "insufficient balance: add funds to create this pod")
		return
	case req.GPU != nil && (!catalog.IsRunPodGPU(req.GPU.ID) || slices.Contains(f.NoCapacity, req.GPU.ID)):
		// A wrong GPU id answers like no capacity (shared/spec A9, A11).
		problem(w, http.StatusBadRequest, MsgNoInstances)
		return
	}
	p := &Pod{ID: newID(), Name: req.Name, Image: req.Image, Status: "PROVISIONING", Cloud: req.Cloud, Env: req.Env,
		Ports: req.Ports, GPU: req.GPU, CPU: req.CPU, Disk: req.Disk, DataCenterIDs: req.DataCenterIDs,
		StartSSH: req.StartSSH, CreatedAt: time.Now()}
	if p.Cloud == "" {
		p.Cloud = "SECURE"
	}
	if p.Disk == 0 {
		p.Disk = 50
	}
	if p.GPU != nil && p.GPU.Count == 0 {
		p.GPU.Count = 1
	}
	if req.Mounts != nil {
		p.Persistent = req.Mounts.Persistent
	}
	if p.Persistent != nil {
		p.VolumeID = "vol-" + newID()
	}
	if p.Env == nil {
		p.Env = map[string]string{}
	}
	f.pods[p.ID] = p
	f.order = append(f.order, p.ID)
	apifake.WriteJSON(w, http.StatusCreated, f.view(p))
}

// validate applies CreatePodRequest's rules; "" is valid.
func (f *Fake) validate(req createReq) string {
	switch {
	case req.Name == "":
		return "name: must not be empty"
	case req.Image == "" && req.TemplateID == "":
		return "image: required unless templateId is set"
	case (req.GPU == nil) == (req.CPU == nil):
		return "exactly one of gpu or cpu must be set"
	case req.Cloud != "" && req.Cloud != "SECURE" && req.Cloud != "COMMUNITY":
		return "cloud: must be SECURE or COMMUNITY"
	case req.CPU != nil && req.Mounts != nil && req.Mounts.Persistent != nil:
		return "mounts.persistent is invalid when cpu is set"
	case req.CPU != nil && (!slices.Contains(catalog.RunPodCPUFlavors, req.CPU.ID) || req.CPU.VCPUCount < 2 || req.CPU.VCPUCount&(req.CPU.VCPUCount-1) != 0):
		return fmt.Sprintf("cpu: flavor %q with %d vCPUs is not offered (vcpuCount must be a power of two, at least 2)", req.CPU.ID, req.CPU.VCPUCount)
	case req.Mounts != nil && req.Mounts.Persistent != nil && (req.Mounts.Persistent.Size < 10 || req.Mounts.Persistent.Path == ""):
		return "mounts.persistent: size must be at least 10 and path is required"
	}
	for _, dc := range req.DataCenterIDs {
		if !slices.Contains(catalog.RunPodDataCenters, dc) {
			return fmt.Sprintf("dataCenterIds: unknown data center %q", dc)
		}
	}
	for _, port := range req.Ports {
		if _, proto, ok := strings.Cut(port, "/"); !ok || (proto != "http" && proto != "tcp") {
			return fmt.Sprintf("ports: %q is not <port>/http or <port>/tcp", port)
		}
	}
	return ""
}

// lookup returns the pod of the path, or answers 404 (a TERMINATED tombstone is returned).
func (f *Fake) lookup(w http.ResponseWriter, r *http.Request) *Pod {
	p, ok := f.pods[r.PathValue("id")]
	if !ok || (p.Status == "TERMINATED" && !f.Tombstones) {
		problem(w, http.StatusNotFound, "pod not found")
		return nil
	}
	return p
}

func (f *Fake) get(w http.ResponseWriter, r *http.Request) {
	unlock, ok := f.begin(w, r, nil)
	if !ok {
		return
	}
	defer unlock()
	if p := f.lookup(w, r); p != nil {
		f.advance(p)
		apifake.WriteJSON(w, http.StatusOK, f.view(p))
	}
}

// live is begin, then the path's pod, which must not be terminated; p is nil when an answer
// was given, else the caller runs unlock.
func (f *Fake) live(w http.ResponseWriter, r *http.Request, body any) (p *Pod, unlock func()) {
	unlock, ok := f.begin(w, r, body)
	if !ok {
		return nil, nil
	}
	if p = f.lookup(w, r); p != nil && p.Status == "TERMINATED" {
		problem(w, http.StatusNotFound, "pod not found")
		p = nil
	}
	if p == nil {
		unlock()
		return nil, nil
	}
	return p, unlock
}

func (f *Fake) update(w http.ResponseWriter, r *http.Request) {
	var req updateReq
	p, unlock := f.live(w, r, &req)
	if p == nil {
		return
	}
	defer unlock()
	if req.Mounts != nil && req.Mounts.Persistent != nil && p.Persistent == nil {
		problem(w, http.StatusBadRequest, "mounts: a persistent mount cannot be added to a pod created without one")
		return
	}
	if req.Image != "" {
		p.Image = req.Image
	}
	if req.Disk > 0 {
		p.Disk = req.Disk
	}
	if req.Env != nil {
		p.Env = req.Env
	}
	if req.Ports != nil {
		p.Ports = req.Ports
	}
	if req.Mounts != nil && req.Mounts.Persistent != nil {
		p.Persistent = req.Mounts.Persistent
	}
	// An update resets the container: a running pod boots again, with new ports.
	if p.Status == "RUNNING" || p.Status == "ERROR" {
		p.Status, p.Polls, p.PublicIP, p.Mappings = "STARTING", 0, "", nil
	}
	apifake.WriteJSON(w, http.StatusOK, f.view(p))
}

func (f *Fake) delete(w http.ResponseWriter, r *http.Request) {
	p, unlock := f.live(w, r, nil)
	if p == nil {
		return
	}
	defer unlock()
	f.terminate(p)
	w.WriteHeader(http.StatusNoContent)
}

func (f *Fake) terminate(p *Pod) {
	p.Status, p.PublicIP, p.Mappings = "TERMINATED", "", nil
}

func (f *Fake) action(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action string `json:"action"`
	}
	p, unlock := f.live(w, r, &req)
	if p == nil {
		return
	}
	defer unlock()
	switch {
	case req.Action == "stop" && (p.Status == "RUNNING" || p.Status == "STARTING" || p.Status == "PROVISIONING"):
		p.Status, p.PublicIP, p.Mappings, p.Polls = "EXITED", "", nil, 0
	case req.Action == "start" && p.Status == "EXITED":
		if f.NoFreeGPUOnStart && p.GPU != nil {
			problem(w, http.StatusBadRequest, MsgNoFreeGPUs)
			return
		}
		p.Status, p.Polls = "STARTING", 0
	case req.Action == "restart" && (p.Status == "RUNNING" || p.Status == "ERROR"):
		p.Status, p.Polls, p.PublicIP, p.Mappings = "STARTING", 0, "", nil
	case req.Action == "terminate" && p.Status != "TERMINATED":
		f.terminate(p)
		w.WriteHeader(http.StatusNoContent)
		return
	case req.Action == "start" || req.Action == "stop" || req.Action == "restart" || req.Action == "terminate":
		problem(w, http.StatusConflict, fmt.Sprintf("action %s is not valid for a pod in status %s", req.Action, p.Status))
		return
	default:
		problem(w, http.StatusUnprocessableEntity, fmt.Sprintf("action: %q is not one of start, stop, restart, terminate", req.Action))
		return
	}
	apifake.WriteJSON(w, http.StatusOK, f.view(p))
}

// logs answers the backfill as server-sent events, then ends the stream.
func (f *Fake) logs(w http.ResponseWriter, r *http.Request) {
	if !f.auth(w, r) {
		return
	}
	f.mu.Lock()
	p := f.lookup(w, r)
	var lines []string
	if p != nil {
		lines = slices.Clone(p.Logs)
	}
	f.mu.Unlock()
	if p == nil {
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	for i, l := range lines {
		fmt.Fprintf(w, "id: %d\ndata: {\"ts\":%q,\"source\":\"container\",\"line\":%q}\n\n", i+1, time.Now().UTC().Format(time.RFC3339), l)
	}
}
