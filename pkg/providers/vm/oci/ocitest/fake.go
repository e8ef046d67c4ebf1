// Package ocitest is a stateful, strict fake of the OCI Core Services API calls package oci
// makes, served through internal/apifake so that tests can inject 429s, 5xx, hangs and lost
// responses. It verifies each request's signature (version 1, rsa-sha256) with the public
// half of its API key, independently of the client's signer; refuses unknown query
// parameters and JSON fields; keeps instances, VNICs and images; moves instances through
// OCI's lifecycle (PROVISIONING, STARTING, RUNNING, STOPPING, STOPPED, TERMINATING,
// TERMINATED) on a clock; honours opc-retry-token; and answers OCI's JSON shapes and error
// codes ({"code", "message"}, opc-request-id).
package ocitest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/fakebase"
	"github.com/sindri/deploy/v3/pkg/providers/vm/oci"
)

// Options shape a Fake.
type Options struct {
	// Region is the region the fake serves (default us-phoenix-1).
	Region string
	// Tenancy, User and Fingerprint name the one API key the fake accepts; Key is its private
	// half (default: a fresh 2048-bit key).
	Tenancy, User, Fingerprint string
	Key                        *rsa.PrivateKey
	// Compartment is the one compartment that exists (default a fixed OCID).
	Compartment string
	// Transition is how long an instance stays in a transitional state (default 30ms).
	Transition time.Duration
	// Lag hides a new instance from GET /instances/{id} for a while, as OCI's reads lag its
	// launches (default: the first read after the launch answers 404; apifake.NewLag(0, 0)
	// for none).
	Lag *apifake.Lag
	// PageSize is the list page size when no limit is sent (default 2, so that clients must
	// follow opc-next-page).
	PageSize int
	// PublicIP, when set, is every instance's public address (default 129.146.N.M): a test
	// with a real sshd sets 127.0.0.1.
	PublicIP string
	// API are options of the apifake server (chaos rules, seed).
	API []apifake.Option
}

// Fake is a running OCI fake. Its methods are safe for concurrent use.
type Fake struct {
	// Server is the fault-injecting server in front of the fake (API) and its endpoint (URL,
	// without the API version).
	fakebase.Server

	opts Options

	mu        sync.Mutex
	seq       int
	instances map[string]*instance
	order     []string
	images    map[string]*oci.Image
	tokens    map[string]tokenUse
	failing   map[string]bool // image id -> its instances die while provisioning
	noRoom    map[string]bool // shapes out of host capacity
}

type tokenUse struct {
	instance string
	body     string
}

type instance struct {
	oci.Instance
	since    time.Time
	fail     bool
	publicIP string
	vnic     string
}

// New starts a fake for t with opts.
func New(t testing.TB, opts Options) *Fake {
	t.Helper()
	fakebase.Default(&opts.Region, "us-phoenix-1")
	fakebase.Default(&opts.Tenancy, "ocid1.tenancy.oc1..faketenancy")
	fakebase.Default(&opts.User, "ocid1.user.oc1..fakeuser")
	fakebase.Default(&opts.Fingerprint, "12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0")
	if opts.Key == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		opts.Key = k
	}
	fakebase.Default(&opts.Compartment, "ocid1.compartment.oc1..fakecompartment")
	fakebase.Default(&opts.Transition, 30*time.Millisecond)
	fakebase.Default(&opts.PageSize, 2)
	if opts.Lag == nil {
		opts.Lag = apifake.NewLag(0, 1)
	}
	f := &Fake{opts: opts, instances: map[string]*instance{}, images: map[string]*oci.Image{},
		tokens: map[string]tokenUse{}, failing: map[string]bool{}, noRoom: map[string]bool{}}
	mux := http.NewServeMux()
	v := "/" + oci.APIVersion
	mux.HandleFunc("POST "+v+"/instances", f.handle(f.launch))
	mux.HandleFunc("GET "+v+"/instances", f.handle(f.listInstances, "compartmentId", "lifecycleState", "page", "limit", "availabilityDomain", "displayName"))
	mux.HandleFunc("GET "+v+"/instances/{id}", f.handle(f.getInstance))
	mux.HandleFunc("POST "+v+"/instances/{id}", f.handle(f.action, "action"))
	mux.HandleFunc("PUT "+v+"/instances/{id}", f.handle(f.update))
	mux.HandleFunc("DELETE "+v+"/instances/{id}", f.handle(f.terminate, "preserveBootVolume"))
	mux.HandleFunc("GET "+v+"/vnicAttachments", f.handle(f.listVnicAttachments, "compartmentId", "instanceId", "page", "limit"))
	mux.HandleFunc("GET "+v+"/vnics/{id}", f.handle(f.getVnic))
	mux.HandleFunc("GET "+v+"/images", f.handle(f.listImages, "compartmentId", "sortBy", "sortOrder", "page", "limit", "displayName", "lifecycleState"))
	mux.HandleFunc("GET "+v+"/images/{id}", f.handle(f.getImage))
	mux.HandleFunc("DELETE "+v+"/images/{id}", f.handle(f.deleteImage))
	f.Serve(t, mux, "ocifake", "opc-request-id", errorBody, opts.API)
	return f
}

// Credentials returns the API key the fake accepts.
func (f *Fake) Credentials() oci.Credentials {
	return oci.Credentials{TenancyOCID: f.opts.Tenancy, UserOCID: f.opts.User, Fingerprint: f.opts.Fingerprint, PrivateKey: f.opts.Key}
}

// Region returns the region the fake serves; Compartment its compartment.
func (f *Fake) Region() string      { return f.opts.Region }
func (f *Fake) Compartment() string { return f.opts.Compartment }

// errorBody is OCI's error body for the apifake rules' Status answers.
func errorBody(status int) any {
	code := "InternalServerError"
	switch status {
	case http.StatusTooManyRequests:
		code = "TooManyRequests"
	case http.StatusServiceUnavailable:
		code = "ServiceUnavailable"
	}
	return map[string]string{"code": code, "message": http.StatusText(status)}
}

// apiError is an OCI error answer.
type apiError struct {
	status    int
	code, msg string
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func notFound(kind, id string) *apiError {
	return errorf(http.StatusNotFound, "NotAuthorizedOrNotFound", "Authorization failed or requested resource not found: %s %s", kind, id)
}

func (f *Fake) nextID(kind string) string {
	f.seq++
	return fmt.Sprintf("ocid1.%s.oc1.%s.fake%06d", kind, f.opts.Region, f.seq)
}

// AddImage registers an AVAILABLE custom image named name with freeform tags, as a packer
// build would leave it, created at created, and returns its OCID.
func (f *Fake) AddImage(name string, tags map[string]string, created time.Time) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextID("image")
	f.images[id] = &oci.Image{ID: id, CompartmentID: f.opts.Compartment, DisplayName: name, LifecycleState: oci.ImageAvailable,
		OperatingSystem: "Canonical Ubuntu", OperatingSystemVersion: "22.04", SizeInMBs: 51200,
		FreeformTags: clone(tags), TimeCreated: created.UTC()}
	return id
}

// FailLaunches makes every instance launched from image id die while provisioning: it
// settles into TERMINATED instead of RUNNING.
func (f *Fake) FailLaunches(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[id] = true
}

// OutOfCapacity makes every launch of shape fail as OCI's do when the availability domain
// has no host left: 500 InternalError "Out of host capacity.".
func (f *Fake) OutOfCapacity(shape string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noRoom[shape] = true
}

// Kill makes instance id stop on its own (an OS shutdown).
func (f *Fake) Kill(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in, ok := f.instances[id]; ok {
		now := time.Now()
		f.settle(in, now)
		in.enter(oci.StateStopping, now)
	}
}

// Instances returns the ids of the instances tagged key=value that are not terminated, in
// launch order.
func (f *Fake) Instances(key, value string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	return fakebase.InOrder(f.order, f.instances, func(in *instance) bool {
		f.settle(in, now)
		return in.LifecycleState != oci.StateTerminated && in.FreeformTags[key] == value
	})
}

// Metadata returns the metadata instance id was launched with.
func (f *Fake) Metadata(id string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in, ok := f.instances[id]; ok {
		return clone(in.Metadata)
	}
	return nil
}

// UserData returns the cloud-init user data (metadata user_data, base64-decoded) instance
// id was launched with.
func (f *Fake) UserData(id string) string {
	b, _ := base64.StdEncoding.DecodeString(f.Metadata(id)["user_data"])
	return string(b)
}

// Images returns the ids of the images that are not deleted, sorted.
func (f *Fake) Images() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakebase.SortedKeys(f.images, func(im *oci.Image) bool { return im.LifecycleState != oci.ImageDeleted })
}

func (in *instance) enter(state string, now time.Time) {
	in.LifecycleState = state
	in.since = now
}

// settle moves in out of a transitional state whose time is up.
func (f *Fake) settle(in *instance, now time.Time) {
	next, ok := settles[in.LifecycleState]
	if !ok || now.Sub(in.since) < f.opts.Transition {
		return
	}
	at := in.since.Add(f.opts.Transition)
	if in.LifecycleState == oci.StateProvisioning && in.fail {
		in.enter(oci.StateTerminated, at)
		return
	}
	in.enter(next, at)
}

func clone(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
