package runpod

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// DefaultAPIURL is RunPod's REST v2 root. REST v1 (https://rest.runpod.io/v1) was retired on
// 2026-11-15 (shared/spec/provider-apis/runpod-northflank.md A1).
const DefaultAPIURL = "https://api.runpod.io/v2"

// apiV2 speaks RunPod REST v2: nested create body, {"pods": [...]} lists, lifecycle through
// POST /pods/{id}/action, RFC 9457 errors.
type apiV2 struct {
	c *rest.Client
	// secrets are the secret values in this environment's bodies, redacted from recordings.
	secrets []string
	// base, auth and http read the log stream, which is not JSON.
	base string
	auth func(*http.Request) error
	http *http.Client
}

type v2GPU struct {
	ID    string `json:"id"`
	Count int    `json:"count,omitempty"`
}

type v2CPU struct {
	ID        string `json:"id"`
	VCPUCount int    `json:"vcpuCount"`
	Memory    int    `json:"memory,omitempty"`
}

type v2Persistent struct {
	Size int    `json:"size"`
	Path string `json:"path"`
}

type v2Mounts struct {
	Persistent *v2Persistent `json:"persistent,omitempty"`
}

// v2Create is CreatePodRequest; every field Sindri decides is sent explicitly, because the
// API's defaults (SECURE cloud, 50 GB disk) differ from the config's.
type v2Create struct {
	Name          string            `json:"name"`
	Image         string            `json:"image"`
	GPU           *v2GPU            `json:"gpu,omitempty"`
	CPU           *v2CPU            `json:"cpu,omitempty"`
	Cloud         string            `json:"cloud"`
	Disk          int               `json:"disk"`
	Mounts        *v2Mounts         `json:"mounts,omitempty"`
	Ports         []string          `json:"ports"`
	Env           map[string]string `json:"env"`
	DataCenterIDs []string          `json:"dataCenterIds,omitempty"`
	StartSSH      bool              `json:"startSsh"`
}

// v2Update is UpdatePodRequest: the container settings that change in place.
type v2Update struct {
	Image  string            `json:"image"`
	Disk   int               `json:"disk"`
	Mounts *v2Mounts         `json:"mounts,omitempty"`
	Ports  []string          `json:"ports"`
	Env    map[string]string `json:"env"`
}

type v2SSHEndpoint struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Username string `json:"username"`
}

type v2RuntimePort struct {
	Private int     `json:"private"`
	Public  *int    `json:"public"`
	Type    string  `json:"type"`
	IP      *string `json:"ip"`
}

type v2Pod struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Image  string            `json:"image"`
	Status string            `json:"status"`
	Env    map[string]string `json:"env"`
	Ports  []string          `json:"ports"`
	GPU    *v2GPU            `json:"gpu"`
	Cloud  string            `json:"cloud"`
	Cost   float64           `json:"cost"`
	SSH    *struct {
		Proxy  *v2SSHEndpoint `json:"proxy"`
		Direct *v2SSHEndpoint `json:"direct"`
	} `json:"ssh"`
	Runtime *struct {
		Ports []v2RuntimePort `json:"ports"`
	} `json:"runtime"`
	CreatedAt *time.Time `json:"createdAt"`
	StartedAt *time.Time `json:"startedAt"`
}

func (v v2Pod) pod() pod {
	p := pod{ID: v.ID, Name: v.Name, Image: v.Image, Status: parseStatus(v.Status), Env: v.Env,
		Ports: v.Ports, Cloud: v.Cloud, CostPerHr: v.Cost, CreatedAt: v.CreatedAt, StartedAt: v.StartedAt}
	if v.GPU != nil {
		p.GPUID, p.GPUCount = v.GPU.ID, max(v.GPU.Count, 1)
	}
	if v.Runtime != nil {
		for _, rp := range v.Runtime.Ports {
			if rp.Type != "tcp" || rp.Public == nil || *rp.Public == 0 || rp.IP == nil || *rp.IP == "" {
				continue
			}
			if p.PortMappings == nil {
				p.PortMappings = map[int]int{}
			}
			p.PortMappings[rp.Private] = *rp.Public
			p.PublicIP = *rp.IP
		}
	}
	if v.SSH != nil && v.SSH.Proxy != nil {
		p.ProxySSHUser = v.SSH.Proxy.Username
	}
	return p
}

func (a *apiV2) list(ctx context.Context) ([]pod, error) {
	var out struct {
		Pods []v2Pod `json:"pods"`
	}
	if err := a.c.Do(ctx, rest.Request{Op: "list pods", Operation: "list pods", Path: "pods"}, &out); err != nil {
		return nil, err
	}
	pods := make([]pod, len(out.Pods))
	for i, v := range out.Pods {
		pods[i] = v.pod()
	}
	return pods, nil
}

func (a *apiV2) get(ctx context.Context, id string) (pod, error) {
	var v v2Pod
	if err := a.c.Do(ctx, rest.Request{Op: "get pod " + id, Operation: "get pod", Path: "pods/" + url.PathEscape(id)}, &v); err != nil {
		return pod{}, err
	}
	return v.pod(), nil
}

func (a *apiV2) createBody(s podSpec) any {
	b := v2Create{Name: s.Name, Image: s.Image, Cloud: s.Cloud, Disk: s.DiskGB, Ports: s.Ports,
		Env: s.Env, DataCenterIDs: s.DataCenters, StartSSH: s.StartSSH, Mounts: mounts(s)}
	if s.GPU != nil {
		b.GPU = &v2GPU{ID: s.GPU.ID, Count: s.GPU.Count}
	}
	if s.CPU != nil {
		b.CPU = &v2CPU{ID: s.CPU.Flavor, VCPUCount: s.CPU.VCPUs}
	}
	return b
}

func mounts(s podSpec) *v2Mounts {
	if s.VolumeGB == 0 {
		return nil
	}
	return &v2Mounts{Persistent: &v2Persistent{Size: s.VolumeGB, Path: s.VolumePath}}
}

func (a *apiV2) create(ctx context.Context, s podSpec, recover func(context.Context) (bool, error)) (pod, error) {
	var v v2Pod
	err := a.c.Do(ctx, rest.Request{Op: "create pod " + s.Name, Operation: "create pod", Method: http.MethodPost, Path: "pods",
		Body: a.createBody(s), Recover: recover, Secrets: a.secrets}, &v)
	return v.pod(), err
}

func (a *apiV2) update(ctx context.Context, id string, s podSpec) (pod, error) {
	var v v2Pod
	err := a.c.Do(ctx, rest.Request{Op: "update pod " + id, Operation: "update pod", Method: http.MethodPatch, Path: "pods/" + url.PathEscape(id),
		Body:       v2Update{Image: s.Image, Disk: s.DiskGB, Mounts: mounts(s), Ports: s.Ports, Env: s.Env},
		Idempotent: true, Secrets: a.secrets}, &v)
	return v.pod(), err
}

func (a *apiV2) act(ctx context.Context, id string, act podAction) error {
	// A transition names its target state, so sending it twice is harmless.
	return a.c.Do(ctx, rest.Request{Op: string(act) + " pod " + id, Operation: string(act) + " pod", Method: http.MethodPost,
		Path: "pods/" + url.PathEscape(id) + "/action", Body: map[string]string{"action": string(act)}, Idempotent: true}, nil)
}

func (a *apiV2) terminate(ctx context.Context, id string) error {
	return a.c.Do(ctx, rest.Request{Op: "terminate pod " + id, Operation: "terminate pod", Method: http.MethodDelete, Path: "pods/" + url.PathEscape(id)}, nil)
}

// logs reads the backfill of GET /pods/{id}/logs, a server-sent event stream whose data lines
// are {"ts","source","line"}. The stream is not JSON, so it is read with a plain request (the
// rest client decodes JSON only), and cut off after a short while: the backfill comes first.
func (a *apiV2) logs(ctx context.Context, id string, n int) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	u := strings.TrimSuffix(a.base, "/") + "/pods/" + url.PathEscape(id) + "/logs?tail=" + strconv.Itoa(n)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if err := a.auth(req); err != nil {
		return nil, err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("runpod: pod logs %s: HTTP %d", id, resp.StatusCode)
	}
	var lines []string
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 1<<20))
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data:")
		if !ok {
			continue
		}
		var ev struct {
			Line string `json:"line"`
		}
		if json.Unmarshal([]byte(strings.TrimSpace(data)), &ev) == nil && ev.Line != "" {
			lines = append(lines, ev.Line)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, nil
}

func (a *apiV2) interruptible() bool { return false }

// sortedPorts returns the private ports of m in order.
func sortedPorts(m map[int]int) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
