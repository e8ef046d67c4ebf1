package gcetest

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers/vm/gce"
)

// advance moves in along its phase by the clock. Caller holds f.mu.
func (f *Fake) advance(in *instance) {
	t := f.opts.Transition
	el := time.Since(in.since)
	switch in.phase {
	case "create", "start":
		first := gce.StatusProvisioning
		if in.phase == "start" {
			first = gce.StatusStaging
		}
		switch {
		case el < t:
			in.Status = first
		case el < 2*t:
			in.Status = gce.StatusStaging
		default:
			in.Status = gce.StatusRunning
			if in.failWith != "" {
				in.phase, in.Status, in.StatusMessage = "kill", gce.StatusTerminated, in.failWith
			} else {
				in.phase = "up"
			}
		}
	case "stop":
		in.Status = gce.StatusStopping
		if el >= t {
			in.phase, in.Status = "down", gce.StatusTerminated
		}
	case "delete":
		in.Status = gce.StatusStopping
		if el >= t {
			in.phase = "gone"
			delete(f.instances, in.Name)
		}
	}
}

// newOp records an operation of type on target, DONE after OpReads reads (or failing with
// code and message when code is set).
func (f *Fake) newOp(r *http.Request, typ, target, code, message string) *gce.Operation {
	f.seq++
	op := &operation{Operation: gce.Operation{Name: "operation-" + strconv.Itoa(f.seq) + "-" + randomHex(4),
		OperationType: typ, Status: "RUNNING", TargetLink: target}, reads: f.opts.OpReads}
	if r.PathValue("zone") != "" {
		op.Zone = f.Endpoint + "projects/" + f.opts.Project + "/zones/" + f.opts.Zone
	}
	if code != "" {
		op.Error = &struct {
			Errors []struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"errors"`
		}{Errors: []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}{{Code: code, Message: message}}}
	}
	f.ops[op.Name] = op
	out := op.Operation
	return &out
}

func (f *Fake) getOperation(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	op := f.ops[r.PathValue("op")]
	if op == nil || (op.Zone != "") != (r.PathValue("zone") != "") {
		fail(w, 404, "notFound", "The resource 'operations/%s' was not found", r.PathValue("op"))
		return
	}
	if op.reads--; op.reads <= 0 {
		op.Status = "DONE"
	}
	apifake.WriteJSON(w, 200, op.Operation)
}

func (f *Fake) selfLink(name string) string {
	return f.Endpoint + "projects/" + f.opts.Project + "/zones/" + f.opts.Zone + "/instances/" + name
}

var (
	machineTypeRE = regexp.MustCompile(`^(.*/)?zones/([a-z0-9-]+)/machineTypes/([a-z0-9-]+)$`)
	imageRE       = regexp.MustCompile(`^(.*/)?projects/([a-z0-9-]+)/global/images/([a-z0-9-]+)$`)
)

func (f *Fake) insert(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	var in gce.Instance
	if f.API.DecodeJSON(r, &in) != nil {
		fail(w, 400, "invalid", "Invalid JSON payload received.")
		return
	}
	if msg := f.validInsert(&in); msg != "" {
		f.API.Violationf("insert: %s", msg)
		fail(w, 400, "invalid", "%s", msg)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.instances[in.Name]; ok {
		f.advance(old)
		if old.phase != "gone" {
			fail(w, 409, "alreadyExists", "The resource '%s' already exists", "projects/"+f.opts.Project+"/zones/"+f.opts.Zone+"/instances/"+in.Name)
			return
		}
	}
	image := imageRE.FindStringSubmatch(in.Disks[0].InitializeParams.SourceImage)[3]
	im := f.images[image]
	if im == nil || im.Status != gce.ImageReady {
		fail(w, 404, "notFound", "The resource 'projects/%s/global/images/%s' was not found", f.opts.Project, image)
		return
	}
	if code := f.insertErr[0]; code != "" {
		apifake.WriteJSON(w, 200, f.newOp(r, "insert", f.selfLink(in.Name), code, f.insertErr[1]))
		return
	}
	f.seq++
	stored := &instance{Instance: in, phase: "create", since: time.Now(), image: image, failWith: f.failing[image]}
	stored.ID = strconv.Itoa(5000000 + f.seq)
	stored.Status = gce.StatusProvisioning
	stored.CreationTimestamp = time.Now().UTC().Format(time.RFC3339Nano)
	stored.SelfLink = f.selfLink(in.Name)
	stored.Zone = f.Endpoint + "projects/" + f.opts.Project + "/zones/" + f.opts.Zone
	stored.LabelFingerprint = randomHex(8)
	if stored.Metadata == nil {
		stored.Metadata = &gce.Metadata{}
	}
	stored.Metadata.Fingerprint = randomHex(8)
	disk := in.Disks[0]
	stored.Disks = []gce.AttachedDisk{{Boot: true, AutoDelete: disk.AutoDelete, Source: stored.Zone + "/disks/" + in.Name}}
	stored.NetworkInterfaces = []gce.NetworkInterface{{Network: f.Endpoint + "projects/" + f.opts.Project + "/global/networks/default",
		NetworkIP: "10.128.0." + strconv.Itoa(2+f.seq%250)}}
	for _, ni := range in.NetworkInterfaces {
		if len(ni.AccessConfigs) > 0 {
			stored.NetworkInterfaces[0].AccessConfigs = []gce.AccessConfig{{Type: "ONE_TO_ONE_NAT", Name: "External NAT", NatIP: "34.0.0." + strconv.Itoa(2+f.seq%250)}}
		}
	}
	f.instances[in.Name] = stored
	apifake.WriteJSON(w, 200, f.newOp(r, "insert", stored.SelfLink, "", ""))
}

// validInsert returns why in is not an insert Compute Engine accepts, or "".
func (f *Fake) validInsert(in *gce.Instance) string {
	switch {
	case !nameRE.MatchString(in.Name):
		return "Invalid value for field 'resource.name': '" + in.Name + "'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'"
	case in.ID != "" || in.Status != "" || in.SelfLink != "" || in.LabelFingerprint != "":
		return "output-only fields set"
	case !machineTypeRE.MatchString(in.MachineType) || machineTypeRE.FindStringSubmatch(in.MachineType)[2] != f.opts.Zone:
		return "Invalid value for field 'resource.machineType': '" + in.MachineType + "'"
	case len(in.Disks) != 1 || !in.Disks[0].Boot || in.Disks[0].InitializeParams == nil || in.Disks[0].Source != "":
		return "exactly one boot disk with initializeParams is expected"
	case !imageRE.MatchString(in.Disks[0].InitializeParams.SourceImage):
		return "Invalid value for field 'resource.disks[0].initializeParams.sourceImage'"
	}
	if sz := in.Disks[0].InitializeParams.DiskSizeGB; sz != "" {
		if n, err := strconv.Atoi(sz); err != nil || n < 10 {
			return "Invalid value for field 'resource.disks[0].initializeParams.diskSizeGb': '" + sz + "'"
		}
	}
	if msg := validLabels(in.Labels); msg != "" {
		return msg
	}
	if in.Metadata != nil {
		if in.Metadata.Fingerprint != "" {
			return "metadata.fingerprint is output-only on insert"
		}
		for _, it := range in.Metadata.Items {
			if !metaRE.MatchString(it.Key) {
				return "Invalid value for field 'resource.metadata.items[].key': '" + it.Key + "'"
			}
		}
	}
	for _, ni := range in.NetworkInterfaces {
		for _, ac := range ni.AccessConfigs {
			if ac.Type != "ONE_TO_ONE_NAT" || ac.NatIP != "" {
				return "Invalid value for field 'resource.networkInterfaces[].accessConfigs[]'"
			}
		}
	}
	return ""
}

func validLabels(labels map[string]string) string {
	if len(labels) > 64 {
		return "too many labels"
	}
	for k, v := range labels {
		if !labelRE.MatchString(k) || !valueRE.MatchString(v) {
			return "Invalid value for field 'labels': key '" + k + "' or its value breaks the label rules"
		}
	}
	return ""
}

// find returns the live instance of the path's name, or answers 404.
func (f *Fake) find(w http.ResponseWriter, r *http.Request) *instance {
	in := f.instances[r.PathValue("name")]
	if in != nil {
		f.advance(in)
	}
	if in == nil || in.phase == "gone" {
		fail(w, 404, "notFound", "The resource 'projects/%s/zones/%s/instances/%s' was not found", f.opts.Project, f.opts.Zone, r.PathValue("name"))
		return nil
	}
	return in
}

func (f *Fake) getInstance(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if in := f.find(w, r); in != nil {
		apifake.WriteJSON(w, 200, in.Instance)
	}
}

var filterTermRE = regexp.MustCompile(`^\(labels\.([a-z0-9_-]+) = "([^"]*)"\)$`)

// parseFilter reads a filter of (labels.k = "v") terms joined by AND.
func parseFilter(s string) (map[string]string, bool) {
	out := map[string]string{}
	if s == "" {
		return out, true
	}
	for _, term := range strings.Split(s, " AND ") {
		m := filterTermRE.FindStringSubmatch(term)
		if m == nil {
			return nil, false
		}
		out[m[1]] = m[2]
	}
	return out, true
}

// page answers the page of items (sorted by name) that pageToken starts.
func page[T any](f *Fake, w http.ResponseWriter, r *http.Request, names []string, item func(string) T) {
	for k := range r.URL.Query() {
		if k != "filter" && k != "pageToken" && k != "maxResults" {
			f.API.Violationf("%s: unknown query parameter %q", r.URL.Path, k)
		}
	}
	slices.Sort(names)
	start := 0
	if tok := r.URL.Query().Get("pageToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n > len(names) {
			fail(w, 400, "invalid", "Invalid page token")
			return
		}
		start = n
	}
	end := min(start+f.opts.PageSize, len(names))
	resp := map[string]any{"kind": "compute#list", "items": []T{}}
	items := []T{}
	for _, n := range names[start:end] {
		items = append(items, item(n))
	}
	resp["items"] = items
	if end < len(names) {
		resp["nextPageToken"] = strconv.Itoa(end)
	}
	apifake.WriteJSON(w, 200, resp)
}

// filter reads the request's label filter; one it cannot read is a violation, answered.
func (f *Fake) filter(w http.ResponseWriter, r *http.Request) (map[string]string, bool) {
	want, ok := parseFilter(r.URL.Query().Get("filter"))
	if !ok {
		f.API.Violationf("%s: filter %q is not (labels.k = \"v\") AND ...", r.URL.Path, r.URL.Query().Get("filter"))
		fail(w, 400, "invalid", "Invalid list filter expression")
	}
	return want, ok
}

func matches(labels, want map[string]string) bool {
	for k, v := range want {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// serveList answers a list request: the page of the names that names returns for the
// request's label filter, as item renders them.
func serveList[T any](f *Fake, w http.ResponseWriter, r *http.Request, names func(want map[string]string) []string, item func(string) T) {
	if !f.authorized(w, r) {
		return
	}
	want, ok := f.filter(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	page(f, w, r, names(want), item)
}

func (f *Fake) listInstances(w http.ResponseWriter, r *http.Request) {
	serveList(f, w, r, func(want map[string]string) []string {
		var names []string
		for _, in := range f.instances {
			f.advance(in)
			if in.phase != "gone" && matches(in.Labels, want) {
				names = append(names, in.Name)
			}
		}
		return names
	}, func(n string) gce.Instance { return f.instances[n].Instance })
}

func (f *Fake) deleteInstance(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	in := f.find(w, r)
	if in == nil {
		return
	}
	if in.phase != "delete" {
		in.phase, in.since, in.Status = "delete", time.Now(), gce.StatusStopping
	}
	apifake.WriteJSON(w, 200, f.newOp(r, "delete", in.SelfLink, "", ""))
}

func (f *Fake) instanceAction(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	verb := r.PathValue("verb")
	var labels struct {
		Labels           map[string]string `json:"labels"`
		LabelFingerprint string            `json:"labelFingerprint"`
	}
	var md gce.Metadata
	switch verb {
	case "stop", "start":
		if r.ContentLength > 0 {
			f.API.Violationf("%s: a body was sent", verb)
		}
	case "setLabels":
		if f.API.DecodeJSON(r, &labels) != nil {
			fail(w, 400, "invalid", "Invalid JSON payload received.")
			return
		}
		if msg := validLabels(labels.Labels); msg != "" {
			f.API.Violationf("setLabels: %s", msg)
			fail(w, 400, "invalid", "%s", msg)
			return
		}
	case "setMetadata":
		if f.API.DecodeJSON(r, &md) != nil {
			fail(w, 400, "invalid", "Invalid JSON payload received.")
			return
		}
	default:
		f.API.Violationf("unknown instance method %q", verb)
		fail(w, 400, "invalid", "Invalid method %s", verb)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	in := f.find(w, r)
	if in == nil {
		return
	}
	switch verb {
	case "stop":
		switch in.phase {
		case "delete":
			fail(w, 400, "resourceNotReady", "The resource is not ready")
			return
		case "down", "kill", "stop":
		default:
			in.phase, in.since, in.Status = "stop", time.Now(), gce.StatusStopping
		}
	case "start":
		switch in.phase {
		case "delete", "stop":
			fail(w, 400, "resourceNotReady", "The resource '%s' is not ready", in.SelfLink)
			return
		case "down", "kill":
			in.phase, in.since, in.Status, in.StatusMessage = "start", time.Now(), gce.StatusStaging, ""
			in.failWith = f.failing[in.image]
		}
	case "setLabels":
		if labels.LabelFingerprint != in.LabelFingerprint {
			fail(w, 412, "conditionNotMet", "Labels fingerprint either invalid or resource labels have changed")
			return
		}
		in.Labels, in.LabelFingerprint = maps.Clone(labels.Labels), randomHex(8)
	case "setMetadata":
		if md.Fingerprint != in.Metadata.Fingerprint {
			fail(w, 412, "conditionNotMet", "Supplied fingerprint does not match current metadata fingerprint.")
			return
		}
		in.Metadata = &gce.Metadata{Items: md.Items, Fingerprint: randomHex(8)}
	}
	apifake.WriteJSON(w, 200, f.newOp(r, verb, in.SelfLink, "", ""))
}

func (f *Fake) listImages(w http.ResponseWriter, r *http.Request) {
	serveList(f, w, r, func(want map[string]string) []string {
		var names []string
		for n, im := range f.images {
			if matches(im.Labels, want) {
				names = append(names, n)
			}
		}
		return names
	}, func(n string) gce.Image { return *f.images[n] })
}

// onImage runs fn on the path's image under f.mu, or answers 404.
func (f *Fake) onImage(w http.ResponseWriter, r *http.Request, fn func(*gce.Image)) {
	if !f.authorized(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	im := f.images[r.PathValue("name")]
	if im == nil {
		fail(w, 404, "notFound", "The resource 'projects/%s/global/images/%s' was not found", f.opts.Project, r.PathValue("name"))
		return
	}
	fn(im)
}

func (f *Fake) getImage(w http.ResponseWriter, r *http.Request) {
	f.onImage(w, r, func(im *gce.Image) { apifake.WriteJSON(w, 200, im) })
}

func (f *Fake) deleteImage(w http.ResponseWriter, r *http.Request) {
	f.onImage(w, r, func(im *gce.Image) {
		delete(f.images, im.Name)
		apifake.WriteJSON(w, 200, f.newOp(r, "delete", im.SelfLink, "", ""))
	})
}
