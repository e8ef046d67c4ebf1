// Package alicloudtest is a stateful, strict fake of the Alibaba Cloud ECS RPC calls package
// alicloud makes, served through internal/apifake so that tests can inject throttling, 5xx,
// hangs and lost responses. It verifies each request's signature (HMAC-SHA1, version 1.0)
// with its own implementation, refuses a reused SignatureNonce, a stale Timestamp, unknown
// actions and unknown, repeated or missing parameters; keeps instances, images and
// snapshots; moves instances through ECS's statuses (Pending, Starting, Running, Stopping,
// Stopped) on a clock; honours ClientToken; and answers ECS's JSON shapes and error codes
// ({"Code", "Message", "RequestId"}; throttling is HTTP 400 Throttling.User, as ECS does).
package alicloudtest

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers/vm/alicloud"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/fakebase"
)

// Options shape a Fake.
type Options struct {
	// Region is the only region the fake serves (default cn-hangzhou).
	Region string
	// AccessKeyID and AccessKeySecret are the one AccessKey it accepts (defaults: a fixed id,
	// a random secret).
	AccessKeyID, AccessKeySecret string
	// Transition is how long an instance stays in each transitional status (default 30ms).
	Transition time.Duration
	// PublicIP, when set, is every instance's public address (default 47.96.N.M): a test
	// with a real sshd sets 127.0.0.1.
	PublicIP string
	// API are options of the apifake server (chaos rules, seed).
	API []apifake.Option
}

// Fake is a running ECS fake. Its methods are safe for concurrent use.
type Fake struct {
	// Server is the fault-injecting server in front of the fake (API) and its endpoint (URL).
	fakebase.Server

	opts Options

	mu        sync.Mutex
	seq       int
	instances map[string]*instance
	order     []string
	images    map[string]*alicloud.Image
	snapshots map[string]bool
	tokens    map[string]tokenUse
	nonces    map[string]bool
	failing   map[string]bool
}

type tokenUse struct {
	instance string
	params   string
}

type instance struct {
	alicloud.Instance
	since    time.Time
	fail     bool
	userData string
	publicIP string
	released bool
}

// New starts a fake for t with opts.
func New(t testing.TB, opts Options) *Fake {
	t.Helper()
	fakebase.Default(&opts.Region, "cn-hangzhou")
	fakebase.Default(&opts.AccessKeyID, "LTAIfakeEcsTestKey01")
	fakebase.Default(&opts.AccessKeySecret, "fake-ali-secret-"+fakebase.RandomHex(15))
	fakebase.Default(&opts.Transition, 30*time.Millisecond)
	f := &Fake{opts: opts, instances: map[string]*instance{}, images: map[string]*alicloud.Image{},
		snapshots: map[string]bool{}, tokens: map[string]tokenUse{}, nonces: map[string]bool{}, failing: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", f.serve)
	f.Serve(t, mux, "ecsfake", "", errorBody, opts.API)
	return f
}

// Credentials returns the AccessKey the fake accepts.
func (f *Fake) Credentials() alicloud.Credentials {
	return alicloud.Credentials{AccessKeyID: f.opts.AccessKeyID, AccessKeySecret: f.opts.AccessKeySecret}
}

// Region returns the region the fake serves.
func (f *Fake) Region() string { return f.opts.Region }

// ThrottleBody is ECS's flow-control answer, for a Respond(400, ThrottleBody) rule.
var ThrottleBody = errorJSON("Throttling.User", "Request was denied due to user flow control.")

// errorBody is ECS's error body for the apifake rules' Status answers.
func errorBody(status int) any {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadRequest:
		return ThrottleBody
	case http.StatusServiceUnavailable:
		return errorJSON("ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
	}
	return errorJSON("InternalError", "The request processing has failed due to some unknown error.")
}

func errorJSON(code, msg string) map[string]string {
	return map[string]string{"Code": code, "Message": msg, "RequestId": "00000000-0000-0000-0000-000000000000",
		"HostId": "ecs.aliyuncs.com", "Recommend": "https://api.aliyun.com/troubleshoot?q=" + code}
}

// apiError is an ECS error answer.
type apiError struct {
	status    int
	code, msg string
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func (f *Fake) nextID(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s-%s%015x", prefix, f.opts.Region[:2], f.seq)
}

// AddImage registers an Available custom image named name with tags and one snapshot, as a
// packer build would leave it, created at created, and returns its id.
func (f *Fake) AddImage(name string, tags map[string]string, created time.Time) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextID("m")
	snap := f.nextID("s")
	f.snapshots[snap] = true
	im := &alicloud.Image{ID: id, Name: name, Status: alicloud.ImageAvailable, OwnerAlias: "self", Size: 40,
		CreationTime: created.UTC().Format(alicloud.TimestampFormat), Tags: alicloud.TagsOf(tags)}
	im.Disks.Mapping = []alicloud.DiskDeviceMapping{{SnapshotID: snap, Size: "40", Device: "/dev/xvda"}}
	f.images[id] = im
	return id
}

// FailLaunches makes every instance created from image id stop while starting: it settles
// into Stopped instead of Running.
func (f *Fake) FailLaunches(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[id] = true
}

// Kill makes instance id stop on its own (an OS shutdown).
func (f *Fake) Kill(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in, ok := f.instances[id]; ok && !in.released {
		now := time.Now()
		f.settle(in, now)
		in.enter(alicloud.StatusStopping, now)
	}
}

// Instances returns the ids of the instances tagged key=value that are not released, in
// creation order.
func (f *Fake) Instances(key, value string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakebase.InOrder(f.order, f.instances, func(in *instance) bool {
		return !in.released && in.Tags.Map()[key] == value
	})
}

// UserData returns the user data instance id was created with (decoded).
func (f *Fake) UserData(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in, ok := f.instances[id]; ok {
		return in.userData
	}
	return ""
}

// Images returns the ids of the images that exist, sorted; Snapshots those of the snapshots.
func (f *Fake) Images() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakebase.SortedKeys(f.images, nil)
}

// Snapshots returns the ids of the snapshots that exist, sorted.
func (f *Fake) Snapshots() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakebase.SortedKeys(f.snapshots, nil)
}

func (in *instance) enter(status string, now time.Time) {
	in.Status = status
	in.since = now
}

// settle moves in through the transitional statuses whose time is up.
func (f *Fake) settle(in *instance, now time.Time) {
	for {
		next, ok := settles[in.Status]
		if !ok || now.Sub(in.since) < f.opts.Transition {
			return
		}
		at := in.since.Add(f.opts.Transition)
		if in.Status == alicloud.StatusStarting && in.fail {
			next = alicloud.StatusStopped
		}
		in.enter(next, at)
		if next == alicloud.StatusRunning {
			in.PublicIP.IPAddress = []string{in.publicIP}
		}
		if next == alicloud.StatusStopped && in.StoppedMode == alicloud.StopCharging {
			in.PublicIP.IPAddress = nil
		}
	}
}
