package azuretest

import (
	"encoding/base64"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers/vm/azure"
)

// advance moves v along its phase by the clock and sets its instance view. Caller holds f.mu.
func (f *Fake) advance(v *vm) {
	t := f.opts.Transition
	el := time.Since(v.since)
	prov, power := "succeeded", ""
	switch v.phase {
	case "create":
		prov, power = "creating", ""
		if el >= t {
			power = "starting"
		}
		if el >= 2*t {
			if v.failWith != "" {
				v.phase = "failed"
			} else {
				v.phase = "up"
			}
		}
	case "start":
		power = "starting"
		if el >= t {
			v.phase = "up"
		}
	case "deallocate":
		prov, power = "updating", "deallocating"
		if el >= t {
			v.phase = "down"
		}
	case "poweroff":
		prov, power = "updating", "stopping"
		if el >= t {
			v.phase = "off"
		}
	case "delete":
		prov, power = "deleting", "stopping"
		if el >= t {
			f.remove(v)
			return
		}
	}
	switch v.phase {
	case "up":
		prov, power = "succeeded", "running"
	case "down":
		prov, power = "succeeded", "deallocated"
	case "off":
		prov, power = "succeeded", "stopped"
	case "failed":
		prov, power = "failed", "stopped"
	}
	v.Properties.ProvisioningState = strings.ToUpper(prov[:1]) + prov[1:]
	iv := &azure.InstanceView{Statuses: []azure.Status{{Code: "ProvisioningState/" + prov, Level: "Info"}}}
	if v.phase == "failed" {
		iv.Statuses[0].Level, iv.Statuses[0].Message = "Error", v.failWith
	}
	if power != "" {
		iv.Statuses = append(iv.Statuses, azure.Status{Code: "PowerState/" + power, Level: "Info"})
	}
	v.Properties.InstanceView = iv
}

// remove deletes v with its OS disk and, with deleteOption Delete, its NICs.
func (f *Fake) remove(v *vm) {
	v.phase = "gone"
	delete(f.vms, v.Name)
	if v.Properties.StorageProfile.OSDisk.DeleteOption == "Delete" {
		delete(f.disks, v.Properties.StorageProfile.OSDisk.Name)
	}
	for _, n := range v.Properties.NetworkProfile.NetworkInterfaces {
		if n.Properties.DeleteOption == "Delete" {
			delete(f.nics, n.ID[strings.LastIndex(n.ID, "/")+1:])
		}
	}
}

var (
	vmNameRE  = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9_]$`)
	tagBadRE  = regexp.MustCompile(`[<>%&\\?/]`)
	sshPathRE = regexp.MustCompile(`^/home/[a-z_][a-z0-9_-]*/\.ssh/authorized_keys$`)
)

func validTags(tags map[string]string) string {
	if len(tags) > 50 {
		return "more than 50 tags"
	}
	for k, v := range tags {
		if k == "" || len(k) > 512 || len(v) > 256 || tagBadRE.MatchString(k) {
			return "The tag name '" + k + "' has invalid characters or its value is too long."
		}
	}
	return ""
}

// decode checks the request as authorized does and decodes its body strictly into body;
// it answers the error itself and returns false when either fails.
func (f *Fake) decode(w http.ResponseWriter, r *http.Request, ns string, body any) bool {
	if !f.authorized(w, r, ns) {
		return false
	}
	if f.API.DecodeJSON(r, body) != nil {
		fail(w, 400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
		return false
	}
	return true
}

// find returns the path's VM (advanced), or answers 404.
func (f *Fake) find(w http.ResponseWriter, r *http.Request) *vm {
	v := f.vms[r.PathValue("name")]
	if v != nil {
		f.advance(v)
	}
	if v == nil || v.phase == "gone" {
		fail(w, 404, "ResourceNotFound", "The Resource 'Microsoft.Compute/virtualMachines/%s' under resource group '%s' was not found.", r.PathValue("name"), f.opts.ResourceGroup)
		return nil
	}
	return v
}

// vmDone is the async check of a change of v that ends in phase want.
func (f *Fake) vmDone(v *vm, want string) func() (string, string, string) {
	return func() (string, string, string) {
		f.advance(v)
		switch {
		case v.phase == want:
			return "Succeeded", "", ""
		case v.phase == "failed":
			return "Failed", "OSProvisioningTimedOut", v.failWith
		}
		return "InProgress", "", ""
	}
}

// validVM returns why body is not a VM create that ARM accepts here, or "". Caller holds f.mu.
func (f *Fake) validVM(name string, body *azure.VM) string {
	p := body.Properties
	switch {
	case !vmNameRE.MatchString(name):
		return "The VM name '" + name + "' is invalid."
	case body.ID != "" || body.Name != "" || p.VMID != "" || p.ProvisioningState != "" || p.InstanceView != nil || p.TimeCreated != "":
		return "output-only properties were sent"
	case body.Location != f.opts.Location:
		return "location '" + body.Location + "' is not the resource group's"
	case p.HardwareProfile.VMSize == "":
		return "hardwareProfile.vmSize is required"
	case p.StorageProfile.ImageReference == nil || p.StorageProfile.OSDisk.CreateOption != "FromImage":
		return "storageProfile needs imageReference.id and osDisk.createOption FromImage"
	case p.OSProfile == nil || p.OSProfile.AdminUsername == "" || p.OSProfile.ComputerName == "" || p.OSProfile.LinuxConfiguration == nil:
		return "osProfile needs computerName, adminUsername and linuxConfiguration"
	case p.OSProfile.LinuxConfiguration.DisablePasswordAuthentication && len(p.OSProfile.LinuxConfiguration.SSH.PublicKeys) == 0:
		return "Authentication using either SSH or by user name and password must be enabled in Linux profile."
	case len(p.NetworkProfile.NetworkInterfaces) != 1:
		return "exactly one network interface is expected"
	}
	for _, k := range p.OSProfile.LinuxConfiguration.SSH.PublicKeys {
		if !sshPathRE.MatchString(k.Path) || !strings.HasPrefix(k.KeyData, "ssh-") {
			return "The value of parameter linuxConfiguration.ssh.publicKeys is invalid."
		}
	}
	if _, err := base64.StdEncoding.DecodeString(p.OSProfile.CustomData); err != nil {
		return "customData is not base64"
	}
	if dopt := p.StorageProfile.OSDisk.DeleteOption; dopt != "" && dopt != "Delete" && dopt != "Detach" {
		return "osDisk.deleteOption '" + dopt + "' is invalid"
	}
	return validTags(body.Tags)
}

func (f *Fake) putVM(w http.ResponseWriter, r *http.Request) {
	var body azure.VM
	if !f.decode(w, r, "Microsoft.Compute", &body) {
		return
	}
	name := r.PathValue("name")
	f.mu.Lock()
	defer f.mu.Unlock()
	if msg := f.validVM(name, &body); msg != "" {
		f.API.Violationf("create VM %s: %s", name, msg)
		fail(w, 400, "InvalidParameter", "%s", msg)
		return
	}
	if old := f.vms[name]; old != nil {
		if f.advance(old); old.phase != "gone" {
			if old.Properties.HardwareProfile != body.Properties.HardwareProfile || old.Properties.StorageProfile.ImageReference.ID != body.Properties.StorageProfile.ImageReference.ID {
				fail(w, 409, "PropertyChangeNotAllowed", "Changing property 'imageReference' or 'vmSize' is not allowed.")
				return
			}
			old.Tags = maps.Clone(body.Tags)
			apifake.WriteJSON(w, 200, old.VM)
			return
		}
	}
	imageID := body.Properties.StorageProfile.ImageReference.ID
	if !slices.ContainsFunc(slices.Collect(maps.Values(f.images)), func(im *azure.Image) bool { return strings.EqualFold(im.ID, imageID) }) {
		fail(w, 404, "ImageNotFound", "The platform image '%s' is not available.", imageID)
		return
	}
	nicID := body.Properties.NetworkProfile.NetworkInterfaces[0].ID
	if n := f.nics[nicID[strings.LastIndex(nicID, "/")+1:]]; n == nil || !strings.EqualFold(n.ID, nicID) {
		fail(w, 400, "InvalidResourceReference", "Resource %s referenced by resource %s was not found.", nicID, name)
		return
	}
	f.seq++
	v := &vm{VM: body, phase: "create", since: time.Now()}
	for id, why := range f.failing {
		if strings.EqualFold(id, imageID) {
			v.failWith = why
		}
	}
	v.ID, v.Name = f.rgID()+"/providers/Microsoft.Compute/virtualMachines/"+name, name
	v.Properties.VMID = "vm-" + strconv.Itoa(f.seq) + "-" + randomHex(4)
	v.Properties.TimeCreated = time.Now().UTC().Format(time.RFC3339Nano)
	if v.Properties.StorageProfile.OSDisk.Name == "" {
		v.Properties.StorageProfile.OSDisk.Name = name + "_OsDisk_1_" + randomHex(8)
	}
	ud, _ := base64.StdEncoding.DecodeString(v.Properties.OSProfile.CustomData)
	v.userData = string(ud)
	v.Properties.OSProfile.CustomData = "" // never returned
	f.disks[v.Properties.StorageProfile.OSDisk.Name] = body.Tags["sindri.dev_env"]
	f.vms[name] = v
	f.advance(v)
	f.newOp(w, "Microsoft.Compute", f.vmDone(v, "up"))
	apifake.WriteJSON(w, 201, v.VM)
}

func (f *Fake) getVM(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r, "Microsoft.Compute") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if v := f.find(w, r); v != nil {
		out := v.VM
		if r.URL.Query().Get("$expand") != "instanceView" {
			out.Properties.InstanceView = nil
		}
		apifake.WriteJSON(w, 200, out)
	}
}

func (f *Fake) patchVM(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Tags map[string]string `json:"tags"`
	}
	if !f.decode(w, r, "Microsoft.Compute", &body) {
		return
	}
	if msg := validTags(body.Tags); msg != "" {
		f.API.Violationf("tag VM: %s", msg)
		fail(w, 400, "InvalidTagNameCharacters", "%s", msg)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if v := f.find(w, r); v != nil {
		v.Tags = maps.Clone(body.Tags)
		apifake.WriteJSON(w, 200, v.VM)
	}
}

func (f *Fake) deleteVM(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r, "Microsoft.Compute") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.vms[r.PathValue("name")]
	if v != nil {
		f.advance(v)
	}
	if v == nil || v.phase == "gone" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if v.phase != "delete" {
		v.phase, v.since = "delete", time.Now()
	}
	f.newOp(w, "Microsoft.Compute", func() (string, string, string) {
		if f.advance(v); v.phase == "gone" {
			return "Succeeded", "", ""
		}
		return "InProgress", "", ""
	})
	w.WriteHeader(http.StatusAccepted)
}

func (f *Fake) vmAction(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r, "Microsoft.Compute") {
		return
	}
	if r.ContentLength > 0 {
		f.API.Violationf("%s: a body was sent", r.URL.Path)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.find(w, r)
	if v == nil {
		return
	}
	conflict := func() {
		fail(w, 409, "OperationNotAllowed", "Operation '%s' is not allowed on VM '%s' since the VM is %s.", r.PathValue("action"), v.Name, v.phase)
	}
	var want string
	switch r.PathValue("action") {
	case "deallocate":
		if v.phase == "delete" {
			conflict()
			return
		}
		if v.phase != "down" {
			v.phase, v.since = "deallocate", time.Now()
		}
		want = "down"
	case "powerOff":
		if v.phase == "delete" || v.phase == "down" || v.phase == "deallocate" {
			conflict()
			return
		}
		if v.phase != "off" {
			v.phase, v.since = "poweroff", time.Now()
		}
		want = "off"
	case "start":
		switch v.phase {
		case "delete", "deallocate", "poweroff":
			conflict()
			return
		case "down", "off", "failed":
			v.phase, v.since, v.failWith = "start", time.Now(), ""
		}
		want = "up"
	default:
		f.API.Violationf("unknown VM action %q", r.PathValue("action"))
		fail(w, 404, "NotFound", "action %s", r.PathValue("action"))
		return
	}
	f.advance(v)
	f.newOp(w, "Microsoft.Compute", f.vmDone(v, want))
	w.WriteHeader(http.StatusAccepted)
}

// page answers the page of items (sorted by name) that the $skiptoken starts, with a
// nextLink to the rest.
func page[T any](f *Fake, w http.ResponseWriter, r *http.Request, names []string, item func(string) T) {
	for k := range r.URL.Query() {
		if k != "api-version" && k != "$expand" && k != "$skiptoken" {
			f.API.Violationf("%s: unknown query parameter %q", r.URL.Path, k)
		}
	}
	slices.Sort(names)
	start, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	start = min(max(start, 0), len(names))
	end := min(start+f.opts.PageSize, len(names))
	items := []T{}
	for _, n := range names[start:end] {
		items = append(items, item(n))
	}
	resp := map[string]any{"value": items}
	if end < len(names) {
		q := r.URL.Query()
		q.Set("$skiptoken", strconv.Itoa(end))
		resp["nextLink"] = f.URL + r.URL.Path + "?" + q.Encode()
	}
	apifake.WriteJSON(w, 200, resp)
}

func (f *Fake) listVMs(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r, "Microsoft.Compute") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for _, v := range f.vms {
		if f.advance(v); v.phase != "gone" {
			names = append(names, v.Name)
		}
	}
	expand := r.URL.Query().Get("$expand") == "instanceView"
	page(f, w, r, names, func(n string) azure.VM {
		out := f.vms[n].VM
		if !expand {
			out.Properties.InstanceView = nil
		}
		return out
	})
}

// serveNetworkList answers the list of m (a Microsoft.Network collection).
func serveNetworkList[T any](f *Fake, w http.ResponseWriter, r *http.Request, m map[string]*T) {
	if !f.authorized(w, r, "Microsoft.Network") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	page(f, w, r, slices.Collect(maps.Keys(m)), func(n string) T { return *m[n] })
}

// serveNetworkGet answers the path's resource of m, or 404 naming typ.
func serveNetworkGet[T any](f *Fake, w http.ResponseWriter, r *http.Request, m map[string]*T, typ string) {
	if !f.authorized(w, r, "Microsoft.Network") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v := m[r.PathValue("name")]
	if v == nil {
		fail(w, 404, "NotFound", "Resource 'Microsoft.Network/%s/%s' was not found.", typ, r.PathValue("name"))
		return
	}
	apifake.WriteJSON(w, 200, v)
}

func (f *Fake) listNICs(w http.ResponseWriter, r *http.Request) { serveNetworkList(f, w, r, f.nics) }

func (f *Fake) getNIC(w http.ResponseWriter, r *http.Request) {
	serveNetworkGet(f, w, r, f.nics, "networkInterfaces")
}

func (f *Fake) putNIC(w http.ResponseWriter, r *http.Request) {
	var body azure.NIC
	if !f.decode(w, r, "Microsoft.Network", &body) {
		return
	}
	name := r.PathValue("name")
	msg := validTags(body.Tags)
	switch {
	case body.ID != "" || body.Name != "" || body.Properties.ProvisioningState != "":
		msg = "output-only properties were sent"
	case body.Location != f.opts.Location:
		msg = "location '" + body.Location + "' is not the resource group's"
	case len(body.Properties.IPConfigurations) != 1 || body.Properties.IPConfigurations[0].Properties.Subnet == nil:
		msg = "one IP configuration with a subnet is expected"
	case body.Properties.IPConfigurations[0].Properties.PrivateIPAddress != "":
		msg = "privateIPAddress is assigned by Azure (Dynamic)"
	}
	if msg != "" {
		f.API.Violationf("create NIC %s: %s", name, msg)
		fail(w, 400, "InvalidRequestFormat", "%s", msg)
		return
	}
	if sub := body.Properties.IPConfigurations[0].Properties.Subnet.ID; !strings.EqualFold(sub, f.SubnetID()) {
		fail(w, 400, "InvalidResourceReference", "Resource %s referenced by resource %s was not found.", sub, name)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if pip := body.Properties.IPConfigurations[0].Properties.PublicIPAddress; pip != nil {
		if ip := f.ips[pip.ID[strings.LastIndex(pip.ID, "/")+1:]]; ip == nil || !strings.EqualFold(ip.ID, pip.ID) {
			fail(w, 400, "InvalidResourceReference", "Resource %s referenced by resource %s was not found.", pip.ID, name)
			return
		}
	}
	addr := &body.Properties.IPConfigurations[0].Properties.PrivateIPAddress
	storeNetwork(f, w, f.nics, name, &body, addr, "10.0.0.", func(old *azure.NIC) string {
		return old.Properties.IPConfigurations[0].Properties.PrivateIPAddress
	}, func(id string) {
		body.ID, body.Name, body.Properties.ProvisioningState = id+"/providers/Microsoft.Network/networkInterfaces/"+name, name, "Succeeded"
	})
}

// storeNetwork stores body as network resource name of m (created: 201 with a new address
// prefix.N in *addr; updated: 200 keeping the address oldAddr reads) and answers it with a
// succeeded async operation; set fills its id (from the resource group's), name and state.
// Caller holds f.mu.
func storeNetwork[T any](f *Fake, w http.ResponseWriter, m map[string]*T, name string, body *T, addr *string, prefix string,
	oldAddr func(*T) string, set func(rgID string)) {
	status := 201
	if old := m[name]; old != nil {
		status, *addr = 200, oldAddr(old)
	} else {
		f.seq++
		*addr = prefix + strconv.Itoa(4+f.seq%250)
	}
	set(f.rgID())
	m[name] = body
	f.newOp(w, "Microsoft.Network", func() (string, string, string) { return "Succeeded", "", "" })
	apifake.WriteJSON(w, status, body)
}

func (f *Fake) deleteNIC(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r, "Microsoft.Network") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := r.PathValue("name")
	if f.nics[name] == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	for _, v := range f.vms {
		for _, n := range v.Properties.NetworkProfile.NetworkInterfaces {
			if strings.HasSuffix(n.ID, "/"+name) && v.phase != "gone" {
				fail(w, 400, "NicInUse", "Network Interface %s is used by existing resource %s.", name, v.ID)
				return
			}
		}
	}
	delete(f.nics, name)
	f.newOp(w, "Microsoft.Network", func() (string, string, string) { return "Succeeded", "", "" })
	w.WriteHeader(http.StatusAccepted)
}

func (f *Fake) listImages(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r, "Microsoft.Compute") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	page(f, w, r, slices.Collect(maps.Keys(f.images)), func(n string) azure.Image { return *f.images[n] })
}

// onImage runs fn on the path's image under f.mu, or answers 404.
func (f *Fake) onImage(w http.ResponseWriter, r *http.Request, fn func(*azure.Image)) {
	if !f.authorized(w, r, "Microsoft.Compute") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	im := f.images[r.PathValue("name")]
	if im == nil {
		fail(w, 404, "ResourceNotFound", "The Resource 'Microsoft.Compute/images/%s' was not found.", r.PathValue("name"))
		return
	}
	fn(im)
}

func (f *Fake) getImage(w http.ResponseWriter, r *http.Request) {
	f.onImage(w, r, func(im *azure.Image) { apifake.WriteJSON(w, 200, im) })
}

func (f *Fake) deleteImage(w http.ResponseWriter, r *http.Request) {
	f.onImage(w, r, func(im *azure.Image) {
		delete(f.images, im.Name)
		f.newOp(w, "Microsoft.Compute", func() (string, string, string) { return "Succeeded", "", "" })
		w.WriteHeader(http.StatusAccepted)
	})
}

func (f *Fake) listIPs(w http.ResponseWriter, r *http.Request) { serveNetworkList(f, w, r, f.ips) }

func (f *Fake) getIP(w http.ResponseWriter, r *http.Request) {
	serveNetworkGet(f, w, r, f.ips, "publicIPAddresses")
}

func (f *Fake) putIP(w http.ResponseWriter, r *http.Request) {
	var body azure.PublicIP
	if !f.decode(w, r, "Microsoft.Network", &body) {
		return
	}
	name := r.PathValue("name")
	msg := validTags(body.Tags)
	switch {
	case body.ID != "" || body.Name != "" || body.Properties.ProvisioningState != "" || body.Properties.IPAddress != "":
		msg = "output-only properties were sent"
	case body.Location != f.opts.Location:
		msg = "location '" + body.Location + "' is not the resource group's"
	case body.SKU == nil || body.SKU.Name != "Standard" || body.Properties.PublicIPAllocationMethod != "Static":
		msg = "a Standard SKU public IP must be Static"
	}
	if msg != "" {
		f.API.Violationf("create public IP %s: %s", name, msg)
		fail(w, 400, "InvalidRequestFormat", "%s", msg)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	storeNetwork(f, w, f.ips, name, &body, &body.Properties.IPAddress, "20.0.0.", func(old *azure.PublicIP) string {
		return old.Properties.IPAddress
	}, func(id string) {
		body.ID, body.Name, body.Properties.ProvisioningState = id+"/providers/Microsoft.Network/publicIPAddresses/"+name, name, "Succeeded"
	})
}

func (f *Fake) deleteIP(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r, "Microsoft.Network") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := r.PathValue("name")
	ip := f.ips[name]
	if ip == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	for _, n := range f.nics {
		for _, ipc := range n.Properties.IPConfigurations {
			if p := ipc.Properties.PublicIPAddress; p != nil && strings.EqualFold(p.ID, ip.ID) {
				fail(w, 400, "PublicIPAddressCannotBeDeleted", "Public IP address %s can not be deleted since it is still allocated to resource %s.", ip.ID, n.ID)
				return
			}
		}
	}
	delete(f.ips, name)
	f.newOp(w, "Microsoft.Network", func() (string, string, string) { return "Succeeded", "", "" })
	w.WriteHeader(http.StatusAccepted)
}
