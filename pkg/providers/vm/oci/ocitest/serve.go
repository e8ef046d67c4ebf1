package ocitest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers/vm/oci"
)

// result is a handler's answer: status and JSON body, or an error; next is the
// opc-next-page of a list.
type result struct {
	status int
	body   any
	next   string
	err    *apiError
}

func ok(body any) result      { return result{status: http.StatusOK, body: body} }
func fail(e *apiError) result { return result{err: e} }
func noContent() result       { return result{status: http.StatusNoContent} }

// handle wraps fn (called with the fake's lock held) with what every call shares: the
// signature check, refusal of query parameters other than query, and OCI's JSON answers.
func (f *Fake) handle(fn func(r *http.Request, body []byte, now time.Time) result, query ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if why := f.verify(r, body); why != "" {
			f.API.Violationf("%s %s: signature: %s", r.Method, r.URL.Path, why)
			writeError(w, errorf(http.StatusUnauthorized, "NotAuthenticated", "The required information to complete authentication was not provided or was incorrect."))
			return
		}
		for k, vs := range r.URL.Query() {
			if !slices.Contains(query, k) || len(vs) != 1 {
				f.API.Violationf("%s %s: query parameter %s is unknown or repeated", r.Method, r.URL.Path, k)
				writeError(w, errorf(http.StatusBadRequest, "InvalidParameter", "query parameter %s is not valid here", k))
				return
			}
		}
		f.mu.Lock()
		res := fn(r, body, time.Now())
		f.mu.Unlock()
		switch {
		case res.err != nil:
			writeError(w, res.err)
		case res.status == http.StatusNoContent:
			w.WriteHeader(http.StatusNoContent)
		default:
			if res.next != "" {
				w.Header().Set("opc-next-page", res.next)
			}
			apifake.WriteJSON(w, res.status, res.body)
		}
	}
}

func writeError(w http.ResponseWriter, e *apiError) {
	apifake.WriteJSON(w, e.status, map[string]string{"code": e.code, "message": e.msg})
}

// page cuts items to the page the request asks for (page: the index of its first item).
func page[T any](f *Fake, r *http.Request, items []T) ([]T, string, *apiError) {
	size := f.opts.PageSize
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return nil, "", errorf(http.StatusBadRequest, "InvalidParameter", "limit must be 1 to 1000")
		}
		size = n
	}
	start := 0
	if p := r.URL.Query().Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", errorf(http.StatusBadRequest, "InvalidParameter", "page token is not valid")
		}
		start = n
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

// compartment checks the required compartmentId query parameter.
func (f *Fake) compartment(r *http.Request) *apiError {
	switch c := r.URL.Query().Get("compartmentId"); c {
	case "":
		f.API.Violationf("%s %s: compartmentId is missing", r.Method, r.URL.Path)
		return errorf(http.StatusBadRequest, "MissingParameter", "compartmentId is required")
	case f.opts.Compartment:
		return nil
	default:
		return notFound("compartment", c)
	}
}

var shapes = map[string]bool{"VM.Standard.E4.Flex": true, "VM.Standard.E5.Flex": true, "VM.Standard3.Flex": true,
	"VM.Standard2.1": true, "VM.Standard2.2": true, "VM.Standard2.4": true, "VM.Standard.E2.1.Micro": true, "VM.Standard.A1.Flex": true}

func (f *Fake) launch(r *http.Request, body []byte, now time.Time) result {
	var d oci.LaunchDetails
	if err := f.API.DecodeJSON(r, &d); err != nil {
		return fail(errorf(http.StatusBadRequest, "CannotParseRequest", "the body does not parse: %v", err))
	}
	token := r.Header.Get("opc-retry-token")
	sum := sha256.Sum256(body)
	if u, seen := f.tokens[token]; token != "" && seen {
		if u.body != hex.EncodeToString(sum[:]) {
			return fail(errorf(http.StatusConflict, "Conflict", "opc-retry-token was used with a different request"))
		}
		return ok(f.view(f.instances[u.instance], now))
	}
	switch {
	case d.AvailabilityDomain == "" || d.Shape == "" || d.CompartmentID == "":
		f.API.Violationf("launch: availabilityDomain, compartmentId and shape are required")
		return fail(errorf(http.StatusBadRequest, "MissingParameter", "availabilityDomain, compartmentId and shape are required"))
	case d.CompartmentID != f.opts.Compartment:
		return fail(notFound("compartment", d.CompartmentID))
	case !shapes[d.Shape]:
		return fail(errorf(http.StatusBadRequest, "InvalidParameter", "shape %s is not known", d.Shape))
	case (d.ShapeConfig != nil) != (len(d.Shape) > 5 && d.Shape[len(d.Shape)-5:] == ".Flex"):
		return fail(errorf(http.StatusBadRequest, "InvalidParameter", "shapeConfig is required for Flex shapes and refused for others"))
	case d.SourceDetails.SourceType != "image" || d.SourceDetails.ImageID == "":
		return fail(errorf(http.StatusBadRequest, "InvalidParameter", "sourceDetails must be sourceType image with an imageId"))
	case d.SourceDetails.BootVolumeSizeInGBs != 0 && (d.SourceDetails.BootVolumeSizeInGBs < 50 || d.SourceDetails.BootVolumeSizeInGBs > 32768):
		return fail(errorf(http.StatusBadRequest, "InvalidParameter", "bootVolumeSizeInGBs must be 50 to 32768"))
	case d.CreateVnicDetails == nil || d.CreateVnicDetails.SubnetID == "":
		return fail(errorf(http.StatusBadRequest, "MissingParameter", "createVnicDetails.subnetId is required"))
	}
	if ud := d.Metadata["user_data"]; ud != "" {
		if _, err := base64.StdEncoding.DecodeString(ud); err != nil {
			return fail(errorf(http.StatusBadRequest, "InvalidParameter", "metadata.user_data must be base64"))
		}
	}
	if f.noRoom[d.Shape] {
		return fail(errorf(http.StatusInternalServerError, "InternalError", "Out of host capacity."))
	}
	im, found := f.images[d.SourceDetails.ImageID]
	if !found || im.LifecycleState != oci.ImageAvailable {
		return fail(notFound("image", d.SourceDetails.ImageID))
	}
	id := f.nextID("instance")
	in := &instance{Instance: oci.Instance{ID: id, AvailabilityDomain: d.AvailabilityDomain, CompartmentID: d.CompartmentID,
		DisplayName: d.DisplayName, FaultDomain: "FAULT-DOMAIN-1", ImageID: im.ID, Region: f.opts.Region, Shape: d.Shape,
		ShapeConfig: d.ShapeConfig, SourceDetails: &d.SourceDetails, FreeformTags: clone(d.FreeformTags),
		Metadata: clone(d.Metadata), TimeCreated: now.UTC()},
		fail: f.failing[im.ID], publicIP: fmt.Sprintf("129.146.%d.%d", f.seq/250, f.seq%250+1), vnic: f.nextID("vnic")}
	if in.DisplayName == "" {
		in.DisplayName = "instance" + now.UTC().Format("20060102150405")
	}
	in.enter(oci.StateProvisioning, now)
	f.instances[id] = in
	f.opts.Lag.Created(id)
	f.order = append(f.order, id)
	if token != "" {
		f.tokens[token] = tokenUse{instance: id, body: hex.EncodeToString(sum[:])}
	}
	return ok(f.view(in, now))
}

// view settles in and returns what the API shows of it.
func (f *Fake) view(in *instance, now time.Time) oci.Instance {
	f.settle(in, now)
	out := in.Instance
	out.FreeformTags, out.Metadata = clone(in.FreeformTags), clone(in.Metadata)
	return out
}

func (f *Fake) getInstance(r *http.Request, _ []byte, now time.Time) result {
	in, found := f.instances[r.PathValue("id")]
	if !found || !f.opts.Lag.Visible(in.ID) {
		return fail(notFound("instance", r.PathValue("id")))
	}
	return ok(f.view(in, now))
}

func (f *Fake) listInstances(r *http.Request, _ []byte, now time.Time) result {
	if e := f.compartment(r); e != nil {
		return fail(e)
	}
	q := r.URL.Query()
	var all []oci.Instance
	for _, id := range f.order {
		v := f.view(f.instances[id], now)
		if s := q.Get("lifecycleState"); s != "" && v.LifecycleState != s ||
			q.Get("displayName") != "" && v.DisplayName != q.Get("displayName") ||
			q.Get("availabilityDomain") != "" && v.AvailabilityDomain != q.Get("availabilityDomain") {
			continue
		}
		all = append(all, v)
	}
	items, next, e := page(f, r, all)
	if e != nil {
		return fail(e)
	}
	return result{status: http.StatusOK, body: nonNil(items), next: next}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (f *Fake) action(r *http.Request, _ []byte, now time.Time) result {
	act := r.URL.Query().Get("action")
	if _, known := moves[act]; !known || act == terminate {
		f.API.Violationf("instance action %q is not one sindri sends", act)
		return fail(errorf(http.StatusBadRequest, "InvalidParameter", "action %s is not valid", act))
	}
	return f.move(r.PathValue("id"), act, now, false)
}

func (f *Fake) terminate(r *http.Request, _ []byte, now time.Time) result {
	if r.URL.Query().Get("preserveBootVolume") != "false" {
		f.API.Violationf("terminate without preserveBootVolume=false keeps a billed boot volume")
	}
	return f.move(r.PathValue("id"), terminate, now, true)
}

// move applies verb to instance id by the moves table.
func (f *Fake) move(id, verb string, now time.Time, empty bool) result {
	in, found := f.instances[id]
	if !found {
		return fail(notFound("instance", id))
	}
	f.settle(in, now)
	next, allowed := moves[verb][in.LifecycleState]
	if !allowed {
		return fail(errorf(http.StatusConflict, "IncorrectState", "instance %s is %s: %s is not allowed", id, in.LifecycleState, verb))
	}
	if next != in.LifecycleState {
		in.enter(next, now)
	}
	if empty {
		return noContent()
	}
	return ok(f.view(in, now))
}

func (f *Fake) update(r *http.Request, _ []byte, now time.Time) result {
	in, found := f.instances[r.PathValue("id")]
	if !found {
		return fail(notFound("instance", r.PathValue("id")))
	}
	var d oci.UpdateDetails
	if err := f.API.DecodeJSON(r, &d); err != nil {
		return fail(errorf(http.StatusBadRequest, "CannotParseRequest", "the body does not parse: %v", err))
	}
	f.settle(in, now)
	if in.LifecycleState == oci.StateTerminating || in.LifecycleState == oci.StateTerminated {
		return fail(errorf(http.StatusConflict, "IncorrectState", "instance %s is %s", in.ID, in.LifecycleState))
	}
	in.FreeformTags = clone(d.FreeformTags)
	return ok(f.view(in, now))
}

func (f *Fake) listVnicAttachments(r *http.Request, _ []byte, now time.Time) result {
	if e := f.compartment(r); e != nil {
		return fail(e)
	}
	var all []oci.VnicAttachment
	for _, id := range f.order {
		in := f.instances[id]
		if q := r.URL.Query().Get("instanceId"); q != "" && q != id {
			continue
		}
		f.settle(in, now)
		att := oci.VnicAttachment{ID: "ocid1.vnicattachment.oc1." + id, InstanceID: id, LifecycleState: "ATTACHING"}
		switch in.LifecycleState {
		case oci.StateProvisioning:
		case oci.StateTerminated, oci.StateTerminating:
			att.LifecycleState = "DETACHED"
		default:
			att.LifecycleState, att.VnicID = "ATTACHED", in.vnic
		}
		all = append(all, att)
	}
	items, next, e := page(f, r, all)
	if e != nil {
		return fail(e)
	}
	return result{status: http.StatusOK, body: nonNil(items), next: next}
}

func (f *Fake) getVnic(r *http.Request, _ []byte, now time.Time) result {
	for _, in := range f.instances {
		if in.vnic != r.PathValue("id") {
			continue
		}
		f.settle(in, now)
		v := oci.Vnic{ID: in.vnic, PrivateIP: "10.0.0." + strconv.Itoa(len(in.vnic)%200+2), IsPrimary: true}
		if in.LifecycleState == oci.StateRunning {
			v.PublicIP = in.publicIP
		}
		return ok(v)
	}
	return fail(notFound("vnic", r.PathValue("id")))
}

func (f *Fake) listImages(r *http.Request, _ []byte, _ time.Time) result {
	if e := f.compartment(r); e != nil {
		return fail(e)
	}
	q := r.URL.Query()
	if (q.Get("sortBy") != "" && q.Get("sortBy") != "TIMECREATED" && q.Get("sortBy") != "DISPLAYNAME") ||
		(q.Get("sortOrder") != "" && q.Get("sortOrder") != "ASC" && q.Get("sortOrder") != "DESC") {
		return fail(errorf(http.StatusBadRequest, "InvalidParameter", "sortBy or sortOrder is not valid"))
	}
	var all []oci.Image
	for _, im := range f.images {
		if im.LifecycleState == oci.ImageDeleted || q.Get("displayName") != "" && im.DisplayName != q.Get("displayName") ||
			q.Get("lifecycleState") != "" && im.LifecycleState != q.Get("lifecycleState") {
			continue
		}
		c := *im
		c.FreeformTags = clone(im.FreeformTags)
		all = append(all, c)
	}
	slices.SortFunc(all, func(a, b oci.Image) int {
		if c := b.TimeCreated.Compare(a.TimeCreated); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if q.Get("sortOrder") == "ASC" {
		slices.Reverse(all)
	}
	items, next, e := page(f, r, all)
	if e != nil {
		return fail(e)
	}
	return result{status: http.StatusOK, body: nonNil(items), next: next}
}

func (f *Fake) getImage(r *http.Request, _ []byte, _ time.Time) result {
	im, found := f.images[r.PathValue("id")]
	if !found || im.LifecycleState == oci.ImageDeleted {
		return fail(notFound("image", r.PathValue("id")))
	}
	return ok(im)
}

func (f *Fake) deleteImage(r *http.Request, _ []byte, _ time.Time) result {
	im, found := f.images[r.PathValue("id")]
	if !found || im.LifecycleState == oci.ImageDeleted {
		return fail(notFound("image", r.PathValue("id")))
	}
	im.LifecycleState = oci.ImageDeleted
	return noContent()
}
