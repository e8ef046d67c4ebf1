// Package gcetest is a stateful, strict fake of the Compute Engine v1 calls package gce
// makes, and of the OAuth2 token endpoint, served through internal/apifake so that tests can
// inject 429s, 5xx, hangs and lost responses. The token endpoint checks the JWT's RS256
// signature against the service-account key it issued (KeyJSON) and its claims; every
// Compute call must carry the token it answered. Request bodies are decoded strictly
// (unknown fields are violations). Instances move PROVISIONING -> STAGING -> RUNNING,
// STOPPING -> TERMINATED (stopped) and STOPPING -> gone (deleted) on a clock; every change
// answers an Operation that is DONE only after a few reads; list filters of the form
// (labels.k = "v") AND ... are applied; setLabels and setMetadata check fingerprints.
package gcetest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers/vm/gce"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/fakebase"
)

// Options shape a Fake.
type Options struct {
	// Project and Zone are the only ones served (defaults sindri-test, us-central1-a).
	Project, Zone string
	// Transition is how long each transitional status lasts (default 30ms).
	Transition time.Duration
	// OpReads is how many reads an Operation answers RUNNING before DONE (default 2).
	OpReads int
	// PageSize bounds list pages (default 2, so clients must follow nextPageToken).
	PageSize int
	// API are options of the apifake server (chaos rules, seed).
	API []apifake.Option
}

// Fake is a running Compute Engine fake. Its methods are safe for concurrent use.
type Fake struct {
	// Server is the fault-injecting server in front of the fake (API) and its root (URL).
	fakebase.Server
	// Endpoint is the Compute root a gce.Client takes.
	Endpoint string

	opts    Options
	key     *rsa.PrivateKey
	keyJSON []byte
	email   string

	mu        sync.Mutex
	seq       int
	tokens    map[string]bool
	instances map[string]*instance
	images    map[string]*gce.Image
	ops       map[string]*operation
	failing   map[string]string // image name -> statusMessage its instances stop with
	insertErr [2]string         // code and message the next inserts' operations fail with
}

type instance struct {
	gce.Instance
	phase    string // "create", "stop", "start", "delete", "kill"
	since    time.Time
	image    string
	failWith string
}

type operation struct {
	gce.Operation
	reads int
}

// New starts a fake for t with opts.
func New(t testing.TB, opts Options) *Fake {
	t.Helper()
	fakebase.Default(&opts.Project, "sindri-test")
	fakebase.Default(&opts.Zone, "us-central1-a")
	fakebase.Default(&opts.Transition, 30*time.Millisecond)
	fakebase.Default(&opts.OpReads, 2)
	fakebase.Default(&opts.PageSize, 2)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &Fake{opts: opts, key: key, email: "sindri@" + opts.Project + ".iam.gserviceaccount.com", tokens: map[string]bool{},
		instances: map[string]*instance{}, images: map[string]*gce.Image{}, ops: map[string]*operation{}, failing: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", f.token)
	zonal := "/compute/v1/projects/{project}/zones/{zone}/"
	global := "/compute/v1/projects/{project}/global/"
	mux.HandleFunc("POST "+zonal+"instances", f.insert)
	mux.HandleFunc("GET "+zonal+"instances", f.listInstances)
	mux.HandleFunc("GET "+zonal+"instances/{name}", f.getInstance)
	mux.HandleFunc("DELETE "+zonal+"instances/{name}", f.deleteInstance)
	mux.HandleFunc("POST "+zonal+"instances/{name}/{verb}", f.instanceAction)
	mux.HandleFunc("GET "+zonal+"operations/{op}", f.getOperation)
	mux.HandleFunc("GET "+global+"images", f.listImages)
	mux.HandleFunc("GET "+global+"images/{name}", f.getImage)
	mux.HandleFunc("DELETE "+global+"images/{name}", f.deleteImage)
	mux.HandleFunc("GET "+global+"operations/{op}", f.getOperation)
	f.Serve(t, mux, "gcefake", "", errorBody, opts.API)
	f.Endpoint = f.URL + "/compute/v1/"
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	f.keyJSON, _ = json.Marshal(map[string]string{"type": "service_account", "project_id": opts.Project,
		"private_key_id": "fake-key-1", "private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		"client_email": f.email, "client_id": "1", "token_uri": f.URL + "/token"})
	return f
}

// KeyJSON is the service-account key file the fake accepts (its token_uri is the fake's).
func (f *Fake) KeyJSON() []byte { return f.keyJSON }

// Project and Zone are what the fake serves.
func (f *Fake) Project() string { return f.opts.Project }

// Zone is the zone the fake serves.
func (f *Fake) Zone() string { return f.opts.Zone }

// AddImage adds a READY image with labels (GCE label form) created at created.
func (f *Fake) AddImage(name string, labels map[string]string, created time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	f.images[name] = &gce.Image{ID: strconv.Itoa(1000 + f.seq), Name: name, Status: gce.ImageReady, Labels: labels,
		CreationTimestamp: created.Format(time.RFC3339), DiskSizeGB: "80",
		SelfLink: f.Endpoint + "projects/" + f.opts.Project + "/global/images/" + name}
}

// Images returns the names of the images that exist.
func (f *Fake) Images() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.images {
		out = append(out, n)
	}
	return out
}

// FailLaunches makes instances of image stop on their own (TERMINATED with message) as
// soon as they reach RUNNING.
func (f *Fake) FailLaunches(image, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[image] = message
}

// FailInserts makes the operations of the inserts from now on end DONE with the error code
// and message (ZONE_RESOURCE_POOL_EXHAUSTED, QUOTA_EXCEEDED), making no instance.
func (f *Fake) FailInserts(code, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.insertErr = [2]string{code, message}
}

// Instances returns the ids of the instances (not deleted) whose label key is value.
func (f *Fake) Instances(key, value string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, in := range f.instances {
		f.advance(in)
		if in.phase != "gone" && in.Labels[key] == value {
			out = append(out, in.ID)
		}
	}
	return out
}

// UserData returns the cloud-init user data (metadata item user-data) instance id was
// created with ("" for none or an unknown id).
func (f *Fake) UserData(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, in := range f.instances {
		if in.ID == id {
			return in.Meta("user-data")
		}
	}
	return ""
}

// errorBody is Google's JSON error for the apifake rules' Status answers.
func errorBody(status int) any {
	reason := "backendError"
	if status == http.StatusTooManyRequests {
		reason = "rateLimitExceeded"
	}
	return googleError(status, reason, http.StatusText(status))
}

func googleError(status int, reason, msg string) map[string]any {
	return map[string]any{"error": map[string]any{"code": status, "message": msg,
		"errors": []map[string]string{{"message": msg, "domain": "global", "reason": reason}}}}
}

func fail(w http.ResponseWriter, status int, reason, format string, args ...any) {
	apifake.WriteJSON(w, status, googleError(status, reason, fmt.Sprintf(format, args...)))
}

var randomHex = fakebase.RandomHex

var (
	nameRE  = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)
	labelRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	valueRE = regexp.MustCompile(`^[a-z0-9_-]{0,63}$`)
	metaRE  = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
)
