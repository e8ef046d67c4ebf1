// Package ec2test is a stateful, strict fake of the EC2 Query API calls package ec2 makes,
// served through internal/apifake so that tests can inject 429s, 5xx, hangs and lost
// responses. It checks each request's Signature Version 4 against its own key (computed
// independently of the client's signer), refuses unknown actions and parameters, keeps
// instances, images and snapshots per region, moves instances through EC2's state machine
// (pending, running, stopping, stopped, shutting-down, terminated) on a clock, honours
// ClientToken idempotency, and answers EC2's XML shapes and error codes.
package ec2test

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/fakebase"
)

// Options shape a Fake.
type Options struct {
	// Region is the only region the fake serves (default us-west-2).
	Region string
	// AccessKeyID, SecretAccessKey and SessionToken are the one credential it accepts
	// (defaults: a fixed test key id, a random secret, no token).
	AccessKeyID, SecretAccessKey, SessionToken string
	// Transition is how long an instance stays pending, stopping or shutting-down
	// (default 30ms).
	Transition time.Duration
	// PageSize is DescribeInstances' page size when MaxResults is not sent (default 2, so
	// that clients must follow NextToken).
	PageSize int
	// API are options of the apifake server (chaos rules, seed).
	API []apifake.Option
	// PublicIP, when set, is every instance's public address (default 203.0.113.N): a test
	// points it at 127.0.0.1 to reach a real sshd standing in for the instance.
	PublicIP string
}

// Fake is a running EC2 fake. Its methods are safe for concurrent use.
type Fake struct {
	// Server is the fault-injecting server in front of the fake (API) and its endpoint (URL).
	fakebase.Server

	opts Options

	mu        sync.Mutex
	seq       int
	instances map[string]*instance
	order     []string
	images    map[string]*image
	snapshots map[string]bool
	tokens    map[string]tokenUse
	failing   map[string]ec2.StateReason // image id -> why its instances die at launch
}

type tokenUse struct {
	instance string
	params   string
}

type instance struct {
	ec2.Instance
	since    time.Time // when the current state was entered
	fail     *ec2.StateReason
	userData string
	publicIP string
}

type image struct {
	ec2.Image
	deregistered bool
}

// New starts a fake for t with opts.
func New(t testing.TB, opts Options) *Fake {
	t.Helper()
	fakebase.Default(&opts.Region, "us-west-2")
	fakebase.Default(&opts.AccessKeyID, "AKIAFAKEEC2TEST00001")
	fakebase.Default(&opts.SecretAccessKey, "fake-secret-"+fakebase.RandomHex(20))
	fakebase.Default(&opts.Transition, 30*time.Millisecond)
	fakebase.Default(&opts.PageSize, 2)
	f := &Fake{opts: opts, instances: map[string]*instance{}, images: map[string]*image{},
		snapshots: map[string]bool{}, tokens: map[string]tokenUse{}, failing: map[string]ec2.StateReason{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", f.serve)
	f.Serve(t, mux, "ec2fake", "X-Amzn-Requestid", errorBody, opts.API)
	return f
}

// Credentials returns the credential the fake accepts.
func (f *Fake) Credentials() ec2.Credentials {
	return ec2.Credentials{AccessKeyID: f.opts.AccessKeyID, SecretAccessKey: f.opts.SecretAccessKey, SessionToken: f.opts.SessionToken}
}

// Region returns the region the fake serves.
func (f *Fake) Region() string { return f.opts.Region }

// errorBody is EC2's XML error for the apifake rules' Status answers.
func errorBody(status int) any {
	code := "InternalError"
	switch status {
	case http.StatusTooManyRequests:
		code = "Throttling"
	case http.StatusServiceUnavailable:
		code = "RequestLimitExceeded"
	}
	return []byte(errorXML(code, http.StatusText(status)))
}

func errorXML(code, msg string) string {
	var b struct {
		XMLName   xml.Name `xml:"Response"`
		Code      string   `xml:"Errors>Error>Code"`
		Message   string   `xml:"Errors>Error>Message"`
		RequestID string   `xml:"RequestID"`
	}
	b.Code, b.Message, b.RequestID = code, msg, "00000000-0000-0000-0000-000000000000"
	out, _ := xml.Marshal(b)
	return xml.Header + string(out)
}

// apiError is an EC2 error answer.
type apiError struct {
	status    int
	code, msg string
}

func clientError(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf(format, args...)}
}

func (f *Fake) nextID(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s-%017x", prefix, f.seq)
}

// AddImage registers an available AMI named name with tags and one snapshot, as a packer
// build would leave it, created at created, and returns its id.
func (f *Fake) AddImage(name string, tags map[string]string, created time.Time) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextID("ami")
	snap := f.nextID("snap")
	f.snapshots[snap] = true
	im := &image{Image: ec2.Image{ID: id, Name: name, State: "available", OwnerID: "123456789012",
		CreationDate: created.UTC().Format("2006-01-02T15:04:05.000Z"), Tags: ec2.TagList(tags)}}
	bd := ec2.BlockDevice{DeviceName: "/dev/sda1"}
	bd.EBS = &struct {
		SnapshotID string `xml:"snapshotId"`
		VolumeSize int    `xml:"volumeSize"`
	}{SnapshotID: snap, VolumeSize: 80}
	im.BlockDevices = []ec2.BlockDevice{bd}
	f.images[id] = im
	return id
}

// FailLaunches makes every instance launched (or started again) from image id die while
// pending: it settles into terminated with reason instead of running.
func (f *Fake) FailLaunches(id string, reason ec2.StateReason) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[id] = reason
}

// Kill makes instance id stop on its own (an OS shutdown), with reason.
func (f *Fake) Kill(id string, reason ec2.StateReason) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in, ok := f.instances[id]; ok {
		f.settle(in, time.Now())
		in.enter(ec2.StateStopping, time.Now())
		in.StateReason = &reason
	}
}

// Instances returns the ids of the instances tagged key=value that are not terminated (what
// an account is billed for), in launch order.
func (f *Fake) Instances(key, value string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	return fakebase.InOrder(f.order, f.instances, func(in *instance) bool {
		f.settle(in, now)
		return in.State.Name != ec2.StateTerminated && ec2.TagMap(in.Tags)[key] == value
	})
}

// UserData returns the user data instance id was launched with (decoded).
func (f *Fake) UserData(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in, ok := f.instances[id]; ok {
		return in.userData
	}
	return ""
}

// Images returns the ids of the registered images, sorted.
func (f *Fake) Images() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakebase.SortedKeys(f.images, func(im *image) bool { return !im.deregistered })
}

// Snapshots returns the ids of the snapshots that exist, sorted.
func (f *Fake) Snapshots() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakebase.SortedKeys(f.snapshots, nil)
}

// enter moves in into state now.
func (in *instance) enter(state string, now time.Time) {
	in.State = ec2.InstanceState{Code: stateCodes[state], Name: state}
	in.since = now
}

// settle moves in out of a transitional state whose time is up: pending becomes running
// (or terminated, for a failing launch), stopping stopped, shutting-down terminated.
func (f *Fake) settle(in *instance, now time.Time) {
	next, ok := settles[in.State.Name]
	if !ok || now.Sub(in.since) < f.opts.Transition {
		return
	}
	at := in.since.Add(f.opts.Transition)
	if in.State.Name == ec2.StatePending && in.fail != nil {
		in.enter(ec2.StateTerminated, at)
		in.StateReason = in.fail
		in.Reason = "Server.InternalError"
		in.PublicIP, in.PublicDNS = "", ""
		return
	}
	in.enter(next, at)
	switch next {
	case ec2.StateRunning:
		in.PublicIP = in.publicIP
		in.PublicDNS = "ec2-" + in.publicIP + ".compute.amazonaws.com"
		in.StateReason = nil
	case ec2.StateStopped, ec2.StateTerminated:
		in.PublicIP, in.PublicDNS = "", ""
	}
}
