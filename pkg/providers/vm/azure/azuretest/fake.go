// Package azuretest is a stateful, strict fake of the Azure Resource Manager calls package
// azure makes, and of the identity platform's client-credentials token endpoint, served
// through internal/apifake so that tests can inject 429s, 5xx, hangs and lost responses.
// Every management call must carry a token the fake issued for the one service principal it
// knows, and the api-version of its resource provider; bodies are decoded strictly (unknown
// fields and output-only fields are violations). A VM goes ProvisioningState/creating with
// PowerState/starting to succeeded and PowerState/running; deallocate goes through
// deallocating to deallocated, powerOff through stopping to stopped, start through starting,
// delete through deleting to gone, taking its OS disk and its NIC (deleteOption Delete).
// Public IPs (Standard, static) get an address; one a NIC uses cannot be deleted.
// Changes answer 201/202 with an Azure-AsyncOperation URL whose status is InProgress for a
// few reads and until the change is complete.
package azuretest

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers/vm/azure"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/fakebase"
)

// Options shape a Fake.
type Options struct {
	// Subscription, ResourceGroup, Location and Tenant are the only ones served (defaults
	// are fixed test values; location westus2).
	Subscription, ResourceGroup, Location, Tenant string
	// ClientID and ClientSecret are the service principal the token endpoint accepts
	// (defaults: a fixed id and a random secret).
	ClientID, ClientSecret string
	// Transition is how long each transitional state lasts (default 30ms).
	Transition time.Duration
	// OpReads is how many reads an async operation answers InProgress at least (default 2).
	OpReads int
	// PageSize bounds list pages (default 2, so clients must follow nextLink).
	PageSize int
	// API are options of the apifake server (chaos rules, seed).
	API []apifake.Option
}

// Fake is a running Resource Manager fake. Its methods are safe for concurrent use.
type Fake struct {
	// Server is the fault-injecting server in front of the fake (API) and its root (URL),
	// which serves both the management and the login endpoint.
	fakebase.Server

	opts Options

	mu      sync.Mutex
	seq     int
	tokens  map[string]bool
	vms     map[string]*vm
	nics    map[string]*azure.NIC
	ips     map[string]*azure.PublicIP
	disks   map[string]string // OS disk name -> env tag of its VM
	images  map[string]*azure.Image
	ops     map[string]*operation
	failing map[string]string // image id -> why its VMs fail to provision
}

type vm struct {
	azure.VM
	phase    string // create, up, deallocate, down, poweroff, off, start, delete, gone, failed
	since    time.Time
	failWith string
	userData string // osProfile.customData decoded (ARM never returns it)
}

type operation struct {
	reads int
	check func() (status, code, message string)
}

// SubnetID is the one subnet NICs may join.
func (f *Fake) SubnetID() string {
	return "/subscriptions/" + f.opts.Subscription + "/resourceGroups/" + f.opts.ResourceGroup +
		"/providers/Microsoft.Network/virtualNetworks/sindri-vnet/subnets/default"
}

// New starts a fake for t with opts.
func New(t testing.TB, opts Options) *Fake {
	t.Helper()
	fakebase.Default(&opts.Subscription, "00000000-0000-0000-0000-0000000000a1")
	fakebase.Default(&opts.ResourceGroup, "sindri-packer")
	fakebase.Default(&opts.Location, "westus2")
	fakebase.Default(&opts.Tenant, "00000000-0000-0000-0000-0000000000b2")
	fakebase.Default(&opts.ClientID, "00000000-0000-0000-0000-0000000000c3")
	fakebase.Default(&opts.ClientSecret, "fake-azure-secret-"+randomHex(12))
	fakebase.Default(&opts.Transition, 30*time.Millisecond)
	fakebase.Default(&opts.OpReads, 2)
	fakebase.Default(&opts.PageSize, 2)
	f := &Fake{opts: opts, tokens: map[string]bool{}, vms: map[string]*vm{}, nics: map[string]*azure.NIC{}, ips: map[string]*azure.PublicIP{},
		disks: map[string]string{}, images: map[string]*azure.Image{}, ops: map[string]*operation{}, failing: map[string]string{}}
	rg := "/subscriptions/{sub}/resourceGroups/{rg}/providers/"
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", f.token)
	mux.HandleFunc("GET /subscriptions/{sub}/providers/{ns}/locations/{loc}/operations/{id}", f.getOperation)
	mux.HandleFunc("PUT "+rg+"Microsoft.Compute/virtualMachines/{name}", f.putVM)
	mux.HandleFunc("GET "+rg+"Microsoft.Compute/virtualMachines/{name}", f.getVM)
	mux.HandleFunc("PATCH "+rg+"Microsoft.Compute/virtualMachines/{name}", f.patchVM)
	mux.HandleFunc("DELETE "+rg+"Microsoft.Compute/virtualMachines/{name}", f.deleteVM)
	mux.HandleFunc("POST "+rg+"Microsoft.Compute/virtualMachines/{name}/{action}", f.vmAction)
	mux.HandleFunc("GET "+rg+"Microsoft.Compute/virtualMachines", f.listVMs)
	mux.HandleFunc("GET "+rg+"Microsoft.Network/networkInterfaces", f.listNICs)
	mux.HandleFunc("PUT "+rg+"Microsoft.Network/networkInterfaces/{name}", f.putNIC)
	mux.HandleFunc("GET "+rg+"Microsoft.Network/networkInterfaces/{name}", f.getNIC)
	mux.HandleFunc("DELETE "+rg+"Microsoft.Network/networkInterfaces/{name}", f.deleteNIC)
	mux.HandleFunc("GET "+rg+"Microsoft.Network/publicIPAddresses", f.listIPs)
	mux.HandleFunc("PUT "+rg+"Microsoft.Network/publicIPAddresses/{name}", f.putIP)
	mux.HandleFunc("GET "+rg+"Microsoft.Network/publicIPAddresses/{name}", f.getIP)
	mux.HandleFunc("DELETE "+rg+"Microsoft.Network/publicIPAddresses/{name}", f.deleteIP)
	mux.HandleFunc("GET "+rg+"Microsoft.Compute/images", f.listImages)
	mux.HandleFunc("GET "+rg+"Microsoft.Compute/images/{name}", f.getImage)
	mux.HandleFunc("DELETE "+rg+"Microsoft.Compute/images/{name}", f.deleteImage)
	f.Serve(t, mux, "azurefake", "x-ms-request-id", errorBody, opts.API)
	return f
}

// Options returns the fake's settings (the service principal among them).
func (f *Fake) Options() Options { return f.opts }

func (f *Fake) rgID() string {
	return "/subscriptions/" + f.opts.Subscription + "/resourceGroups/" + f.opts.ResourceGroup
}

// AddImage adds a managed image name with tags (Azure tag form) created at created, and
// returns its id.
func (f *Fake) AddImage(name string, tags map[string]string, created time.Time) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	im := &azure.Image{ID: f.rgID() + "/providers/Microsoft.Compute/images/" + name, Name: name, Location: f.opts.Location, Tags: tags}
	im.Properties.ProvisioningState = "Succeeded"
	im.SystemData = &struct {
		CreatedAt string `json:"createdAt"`
	}{CreatedAt: created.UTC().Format(time.RFC3339)}
	f.images[name] = im
	return im.ID
}

// Images returns the ids of the images that exist.
func (f *Fake) Images() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, im := range f.images {
		out = append(out, im.ID)
	}
	return out
}

// FailLaunches makes VMs of image id fail to provision with message
// (OSProvisioningTimedOut).
func (f *Fake) FailLaunches(imageID, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[imageID] = message
}

// Resources returns what exists of the env whose tag key has value: VM, NIC, public IP and
// OS disk ids.
func (f *Fake) Resources(key, value string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, v := range f.vms {
		f.advance(v)
		if v.phase != "gone" && v.Tags[key] == value {
			out = append(out, v.Properties.VMID)
		}
	}
	for _, n := range f.nics {
		if n.Tags[key] == value {
			out = append(out, n.ID)
		}
	}
	for _, ip := range f.ips {
		if ip.Tags[key] == value {
			out = append(out, ip.ID)
		}
	}
	for d, env := range f.disks {
		if env == value {
			out = append(out, "disk/"+d)
		}
	}
	return out
}

// UserData returns the cloud-init user data (osProfile.customData, decoded) that the VM whose
// id (properties.vmId, as Resources lists it) is was created with ("" for none, or another
// id).
func (f *Fake) UserData(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.vms {
		if v.Properties.VMID == id {
			return v.userData
		}
	}
	return ""
}

// errorBody is ARM's JSON error for the apifake rules' Status answers.
func errorBody(status int) any {
	code := "InternalServerError"
	if status == http.StatusTooManyRequests {
		code = "TooManyRequests"
	}
	return map[string]any{"error": map[string]string{"code": code, "message": http.StatusText(status)}}
}

func fail(w http.ResponseWriter, status int, code, format string, args ...any) {
	apifake.WriteJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": fmt.Sprintf(format, args...)}})
}

var randomHex = fakebase.RandomHex

// newOp records an async operation whose status check reports, and sets its URL on w.
// Caller holds f.mu.
func (f *Fake) newOp(w http.ResponseWriter, ns string, check func() (string, string, string)) {
	f.seq++
	id := strconv.Itoa(f.seq) + "-" + randomHex(6)
	f.ops[id] = &operation{reads: f.opts.OpReads, check: check}
	w.Header().Set("Azure-AsyncOperation", f.URL+"/subscriptions/"+f.opts.Subscription+"/providers/"+ns+"/locations/"+f.opts.Location+
		"/operations/"+id+"?api-version="+apiVersions[ns])
}

var apiVersions = map[string]string{"Microsoft.Compute": azure.ComputeAPIVersion, "Microsoft.Network": azure.NetworkAPIVersion}

func (f *Fake) getOperation(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r, r.PathValue("ns")) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	op := f.ops[r.PathValue("id")]
	if op == nil {
		fail(w, 404, "NotFound", "operation %s not found", r.PathValue("id"))
		return
	}
	status, code, msg := op.check()
	if op.reads--; op.reads > 0 && status != "InProgress" {
		status = "InProgress"
	}
	body := map[string]any{"name": r.PathValue("id"), "status": status, "startTime": time.Now().UTC().Format(time.RFC3339)}
	if code != "" && status != "InProgress" {
		body["error"] = map[string]string{"code": code, "message": msg}
	}
	apifake.WriteJSON(w, 200, body)
}
