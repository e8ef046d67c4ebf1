package ec2test

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/fakebase"
)

const xmlns = "http://ec2.amazonaws.com/doc/2016-11-15/"

// action is one API action the fake serves: the parameters it accepts (besides Action and
// Version), those it requires, and its handler, called with the fake's lock held.
type action struct {
	params   []*regexp.Regexp
	required []string
	handle   func(f *Fake, p url.Values, now time.Time) (any, *apiError)
}

var params = fakebase.Patterns

var filterParams = []string{`Filter\.\d+\.Name`, `Filter\.\d+\.Value\.\d+`}

var actions = map[string]action{
	"DescribeInstances": {params: params(append(filterParams, `InstanceId\.\d+`, `NextToken`, `MaxResults`)...), handle: (*Fake).describeInstances},
	"RunInstances": {params: params(`ImageId`, `InstanceType`, `MinCount`, `MaxCount`, `ClientToken`, `UserData`, `KeyName`,
		`SubnetId`, `SecurityGroupId\.\d+`, `TagSpecification\.\d+\.ResourceType`, `TagSpecification\.\d+\.Tag\.\d+\.(Key|Value)`),
		required: []string{"ImageId", "MinCount", "MaxCount"}, handle: (*Fake).runInstances},
	"StopInstances":      {params: params(`InstanceId\.\d+`), required: []string{"InstanceId.1"}, handle: stateHandler(verbStop)},
	"StartInstances":     {params: params(`InstanceId\.\d+`), required: []string{"InstanceId.1"}, handle: stateHandler(verbStart)},
	"TerminateInstances": {params: params(`InstanceId\.\d+`), required: []string{"InstanceId.1"}, handle: stateHandler(verbTerminate)},
	"CreateTags": {params: params(`ResourceId\.\d+`, `Tag\.\d+\.(Key|Value)`), required: []string{"ResourceId.1", "Tag.1.Key"},
		handle: (*Fake).createTags},
	"DescribeImages":  {params: params(append(filterParams, `Owner\.\d+`, `ImageId\.\d+`)...), handle: (*Fake).describeImages},
	"DeregisterImage": {params: params(`ImageId`), required: []string{"ImageId"}, handle: (*Fake).deregisterImage},
	"DeleteSnapshot":  {params: params(`SnapshotId`), required: []string{"SnapshotId"}, handle: (*Fake).deleteSnapshot},
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		f.API.Violationf("Content-Type %q, want application/x-www-form-urlencoded", ct)
	}
	if code, msg := f.verifySignature(r, body); code != "" {
		f.API.Violationf("signature: %s: %s", code, msg)
		status := http.StatusUnauthorized
		if code == "SignatureDoesNotMatch" {
			status = http.StatusForbidden
		}
		writeError(w, &apiError{status: status, code: code, msg: msg})
		return
	}
	p, err := url.ParseQuery(string(body))
	if err != nil {
		writeError(w, clientError("InvalidParameterValue", "the body is not form-encoded"))
		return
	}
	if e := f.check(p); e != nil {
		f.API.Violationf("%s: %s: %s", p.Get("Action"), e.code, e.msg)
		writeError(w, e)
		return
	}
	a := actions[p.Get("Action")]
	f.mu.Lock()
	out, e := a.handle(f, p, time.Now())
	f.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	b, merr := xml.Marshal(out)
	if merr != nil {
		f.API.Violationf("fake: marshal %T: %v", out, merr)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	_, _ = w.Write([]byte(xml.Header + string(b)))
}

// check refuses what EC2 refuses before acting: an unknown action or version, an unknown,
// repeated or missing parameter.
func (f *Fake) check(p url.Values) *apiError {
	name := p.Get("Action")
	a, ok := actions[name]
	if !ok {
		return clientError("InvalidAction", "The action %s is not valid for this web service.", name)
	}
	if v := p.Get("Version"); v != ec2.APIVersion {
		return clientError("InvalidParameterValue", "Version %q is not supported", v)
	}
	for k, vs := range p {
		if len(vs) != 1 {
			return clientError("InvalidParameterValue", "parameter %s is repeated", k)
		}
		if k == "Action" || k == "Version" {
			continue
		}
		if !slices.ContainsFunc(a.params, func(re *regexp.Regexp) bool { return re.MatchString(k) }) {
			return clientError("UnknownParameter", "The parameter %s is not recognized", k)
		}
	}
	for _, k := range a.required {
		if p.Get(k) == "" {
			return clientError("MissingParameter", "The request must contain the parameter %s", k)
		}
	}
	return nil
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(errorXML(e.code, e.msg)))
}

// list returns the values of name.1, name.2, ... in order; a gap is an error.
func list(p url.Values, name string) ([]string, *apiError) {
	var out []string
	n := 0
	for k := range p {
		if rest, ok := strings.CutPrefix(k, name+"."); ok && !strings.Contains(rest, ".") {
			n++
		}
	}
	for i := 1; i <= n; i++ {
		v, ok := p[name+"."+strconv.Itoa(i)]
		if !ok {
			return nil, clientError("InvalidParameterValue", "%s.%d is missing: indexes must count from 1", name, i)
		}
		out = append(out, v[0])
	}
	return out, nil
}

// filter is one parsed Filter.N.
type filter struct {
	name   string
	values []string
}

func parseFilters(p url.Values, known ...string) ([]filter, *apiError) {
	var out []filter
	for i := 1; ; i++ {
		prefix := "Filter." + strconv.Itoa(i)
		name := p.Get(prefix + ".Name")
		if name == "" {
			if hasPrefix(p, prefix+".") {
				return nil, clientError("MissingParameter", "%s.Name is missing", prefix)
			}
			return out, nil
		}
		vals, e := list(p, prefix+".Value")
		if e != nil {
			return nil, e
		}
		if len(vals) == 0 {
			return nil, clientError("InvalidParameterValue", "filter %s has no values", name)
		}
		if !strings.HasPrefix(name, "tag:") && !slices.Contains(known, name) {
			return nil, clientError("InvalidParameterValue", "The filter '%s' is invalid", name)
		}
		out = append(out, filter{name: name, values: vals})
	}
}

func hasPrefix(p url.Values, prefix string) bool {
	for k := range p {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// matches reports whether every filter has a value among get(filter name)'s.
func matches(fs []filter, get func(name string) []string) bool {
	for _, fl := range fs {
		have := get(fl.name)
		if !slices.ContainsFunc(fl.values, func(v string) bool { return slices.Contains(have, v) }) {
			return false
		}
	}
	return true
}

func tagValues(tags []ec2.Tag, name string) []string {
	if key, ok := strings.CutPrefix(name, "tag:"); ok {
		if v, ok := ec2.TagMap(tags)[key]; ok {
			return []string{v}
		}
		return nil
	}
	if name == "tag-key" {
		var keys []string
		for _, t := range tags {
			keys = append(keys, t.Key)
		}
		return keys
	}
	return nil
}

type reservation struct {
	ReservationID string         `xml:"reservationId"`
	OwnerID       string         `xml:"ownerId"`
	Instances     []ec2.Instance `xml:"instancesSet>item"`
}

func (f *Fake) describeInstances(p url.Values, now time.Time) (any, *apiError) {
	ids, e := list(p, "InstanceId")
	if e != nil {
		return nil, e
	}
	fs, e := parseFilters(p, "instance-state-name", "instance-id", "image-id", "tag-key")
	if e != nil {
		return nil, e
	}
	size := f.opts.PageSize
	if mr := p.Get("MaxResults"); mr != "" {
		if len(ids) > 0 {
			return nil, clientError("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
		}
		n, err := strconv.Atoi(mr)
		if err != nil || n < 5 || n > 1000 {
			return nil, clientError("InvalidParameterValue", "MaxResults must be between 5 and 1000")
		}
		size = n
	}
	for _, id := range ids {
		if _, ok := f.instances[id]; !ok {
			return nil, clientError("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
		}
	}
	var found []ec2.Instance
	for _, id := range f.order {
		in := f.instances[id]
		f.settle(in, now)
		if len(ids) > 0 && !slices.Contains(ids, id) {
			continue
		}
		get := func(name string) []string {
			switch name {
			case "instance-state-name":
				return []string{in.State.Name}
			case "instance-id":
				return []string{in.ID}
			case "image-id":
				return []string{in.ImageID}
			}
			return tagValues(in.Tags, name)
		}
		if matches(fs, get) {
			found = append(found, in.Instance)
		}
	}
	start := 0
	if tok := p.Get("NextToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "page-"))
		if err != nil || n < 0 || n > len(found) {
			return nil, clientError("InvalidParameterValue", "NextToken is not valid")
		}
		start = n
	}
	var resp struct {
		XMLName      xml.Name      `xml:"DescribeInstancesResponse"`
		Xmlns        string        `xml:"xmlns,attr"`
		RequestID    string        `xml:"requestId"`
		Reservations []reservation `xml:"reservationSet>item"`
		NextToken    string        `xml:"nextToken,omitempty"`
	}
	resp.Xmlns, resp.RequestID = xmlns, "req"
	end := len(found)
	if len(ids) == 0 && start+size < end {
		end = start + size
		resp.NextToken = "page-" + strconv.Itoa(end)
	}
	for _, in := range found[start:end] {
		resp.Reservations = append(resp.Reservations, reservation{ReservationID: "r-" + strings.TrimPrefix(in.ID, "i-"), OwnerID: "123456789012", Instances: []ec2.Instance{in}})
	}
	return &resp, nil
}

var instanceTypeRE = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)

func (f *Fake) runInstances(p url.Values, now time.Time) (any, *apiError) {
	if p.Get("MinCount") != "1" || p.Get("MaxCount") != "1" {
		return nil, clientError("InvalidParameterValue", "the fake launches one instance per call (MinCount = MaxCount = 1)")
	}
	typ := p.Get("InstanceType")
	if typ == "" {
		typ = "m1.small"
	}
	if !instanceTypeRE.MatchString(typ) {
		return nil, clientError("InvalidParameterValue", "Invalid value '%s' for InstanceType.", typ)
	}
	token := p.Get("ClientToken")
	if len(token) > 64 {
		return nil, clientError("InvalidParameterValue", "ClientToken is longer than 64 characters")
	}
	fingerprint := fingerprintOf(p)
	if token != "" {
		if use, ok := f.tokens[token]; ok {
			if use.params != fingerprint {
				return nil, clientError("IdempotentParameterMismatch", "The client token %s was used with other parameters", token)
			}
			return runResponse(f.instances[use.instance].Instance), nil
		}
	}
	img, ok := f.images[p.Get("ImageId")]
	if !ok || img.deregistered {
		return nil, clientError("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", p.Get("ImageId"))
	}
	var userData string
	if ud := p.Get("UserData"); ud != "" {
		b, err := base64.StdEncoding.DecodeString(ud)
		if err != nil {
			return nil, clientError("InvalidParameterValue", "Invalid BASE64 encoding of user data.")
		}
		if len(b) > 16<<10 {
			return nil, clientError("InvalidParameterValue", "User data is limited to 16384 bytes")
		}
		userData = string(b)
	}
	var tags []ec2.Tag
	for i := 1; ; i++ {
		prefix := "TagSpecification." + strconv.Itoa(i)
		rt := p.Get(prefix + ".ResourceType")
		if rt == "" {
			break
		}
		if rt != "instance" && rt != "volume" {
			return nil, clientError("InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", rt)
		}
		ts, e := parseTags(p, prefix+".Tag")
		if e != nil {
			return nil, e
		}
		if rt == "instance" {
			tags = ts
		}
	}
	id := f.nextID("i")
	in := &instance{Instance: ec2.Instance{ID: id, ImageID: img.ID, Type: typ, LaunchTime: now.UTC().Truncate(time.Millisecond),
		PrivateIP: fmt.Sprintf("10.0.%d.%d", f.seq/250, f.seq%250+2), KeyName: p.Get("KeyName"), Zone: f.opts.Region + "a",
		Tags: tags, ClientToken: token}, userData: userData, publicIP: fmt.Sprintf("203.0.113.%d", f.seq%250+1)}
	if f.opts.PublicIP != "" {
		in.publicIP = f.opts.PublicIP
	}
	if reason, bad := f.failing[img.ID]; bad {
		in.fail = &reason
	}
	in.enter(ec2.StatePending, now)
	f.instances[id] = in
	f.order = append(f.order, id)
	if token != "" {
		f.tokens[token] = tokenUse{instance: id, params: fingerprint}
	}
	return runResponse(in.Instance), nil
}

// fingerprintOf is the request's parameters minus ClientToken, to detect a token reused
// with other parameters.
func fingerprintOf(p url.Values) string {
	q := url.Values{}
	for k, v := range p {
		if k != "ClientToken" {
			q[k] = v
		}
	}
	return q.Encode()
}

func runResponse(in ec2.Instance) any {
	return &struct {
		XMLName       xml.Name       `xml:"RunInstancesResponse"`
		Xmlns         string         `xml:"xmlns,attr"`
		RequestID     string         `xml:"requestId"`
		ReservationID string         `xml:"reservationId"`
		OwnerID       string         `xml:"ownerId"`
		Instances     []ec2.Instance `xml:"instancesSet>item"`
	}{Xmlns: xmlns, RequestID: "req", ReservationID: "r-" + strings.TrimPrefix(in.ID, "i-"), OwnerID: "123456789012", Instances: []ec2.Instance{in}}
}

func parseTags(p url.Values, prefix string) ([]ec2.Tag, *apiError) {
	var tags []ec2.Tag
	for i := 1; ; i++ {
		k := prefix + "." + strconv.Itoa(i)
		key, ok := p[k+".Key"]
		if !ok {
			if hasPrefix(p, k+".") {
				return nil, clientError("MissingParameter", "%s.Key is missing", k)
			}
			break
		}
		if key[0] == "" || len(key[0]) > 128 || strings.HasPrefix(key[0], "aws:") {
			return nil, clientError("InvalidParameterValue", "Tag key '%s' is not valid", key[0])
		}
		v := p.Get(k + ".Value")
		if len(v) > 256 {
			return nil, clientError("InvalidParameterValue", "Tag value for %s exceeds 256 characters", key[0])
		}
		tags = append(tags, ec2.Tag{Key: key[0], Value: v})
	}
	if len(tags) > 50 {
		return nil, clientError("TagLimitExceeded", "more than 50 tags")
	}
	return tags, nil
}

func stateHandler(v verb) func(*Fake, url.Values, time.Time) (any, *apiError) {
	return func(f *Fake, p url.Values, now time.Time) (any, *apiError) {
		ids, e := list(p, "InstanceId")
		if e != nil {
			return nil, e
		}
		var changes []ec2.StateChange
		for _, id := range ids {
			in, ok := f.instances[id]
			if !ok {
				return nil, clientError("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
			}
			f.settle(in, now)
			next, ok := moves[v][in.State.Name]
			if !ok {
				return nil, clientError("IncorrectInstanceState", "The instance '%s' is not in a state from which it can be %s (it is %s).", id, strings.TrimSuffix(strings.ToLower(string(v)), "instances"), in.State.Name)
			}
			prev := in.State
			if next != in.State.Name {
				in.enter(next, now)
				if v == verbStart {
					if reason, bad := f.failing[in.ImageID]; bad {
						in.fail = &reason
					}
				}
				if v == verbStop || v == verbTerminate {
					in.StateReason = &ec2.StateReason{Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown"}
				}
			}
			changes = append(changes, ec2.StateChange{ID: id, Current: in.State, Previous: prev})
		}
		return &struct {
			XMLName   xml.Name          `xml:""`
			Xmlns     string            `xml:"xmlns,attr"`
			RequestID string            `xml:"requestId"`
			Changes   []ec2.StateChange `xml:"instancesSet>item"`
		}{XMLName: xml.Name{Local: string(v) + "Response"}, Xmlns: xmlns, RequestID: "req", Changes: changes}, nil
	}
}

type returnResponse struct {
	XMLName   xml.Name `xml:""`
	Xmlns     string   `xml:"xmlns,attr"`
	RequestID string   `xml:"requestId"`
	Return    bool     `xml:"return"`
}

func okResponse(action string) any {
	return &returnResponse{XMLName: xml.Name{Local: action + "Response"}, Xmlns: xmlns, RequestID: "req", Return: true}
}

func (f *Fake) createTags(p url.Values, _ time.Time) (any, *apiError) {
	ids, e := list(p, "ResourceId")
	if e != nil {
		return nil, e
	}
	tags, e := parseTags(p, "Tag")
	if e != nil {
		return nil, e
	}
	for _, id := range ids {
		var cur *[]ec2.Tag
		switch {
		case f.instances[id] != nil:
			cur = &f.instances[id].Tags
		case f.images[id] != nil && !f.images[id].deregistered:
			cur = &f.images[id].Tags
		default:
			return nil, clientError("InvalidID", "The ID '%s' is not valid", id)
		}
		m := ec2.TagMap(*cur)
		for _, t := range tags {
			m[t.Key] = t.Value
		}
		*cur = ec2.TagList(m)
	}
	return okResponse("CreateTags"), nil
}

func (f *Fake) describeImages(p url.Values, _ time.Time) (any, *apiError) {
	owners, e := list(p, "Owner")
	if e != nil {
		return nil, e
	}
	for _, o := range owners {
		if o != "self" && o != "123456789012" {
			return nil, clientError("InvalidParameterValue", "the fake knows only the images of owner self")
		}
	}
	ids, e := list(p, "ImageId")
	if e != nil {
		return nil, e
	}
	fs, e := parseFilters(p, "image-id", "name", "state", "tag-key")
	if e != nil {
		return nil, e
	}
	for _, id := range ids {
		if im, ok := f.images[id]; !ok || im.deregistered {
			return nil, clientError("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
		}
	}
	var found []ec2.Image
	keys := make([]string, 0, len(f.images))
	for id := range f.images {
		keys = append(keys, id)
	}
	sort.Strings(keys)
	for _, id := range keys {
		im := f.images[id]
		if im.deregistered || len(ids) > 0 && !slices.Contains(ids, id) {
			continue
		}
		get := func(name string) []string {
			switch name {
			case "image-id":
				return []string{im.ID}
			case "name":
				return []string{im.Name}
			case "state":
				return []string{im.State}
			}
			return tagValues(im.Tags, name)
		}
		if matches(fs, get) {
			found = append(found, im.Image)
		}
	}
	return &struct {
		XMLName   xml.Name    `xml:"DescribeImagesResponse"`
		Xmlns     string      `xml:"xmlns,attr"`
		RequestID string      `xml:"requestId"`
		Images    []ec2.Image `xml:"imagesSet>item"`
	}{Xmlns: xmlns, RequestID: "req", Images: found}, nil
}

func (f *Fake) deregisterImage(p url.Values, _ time.Time) (any, *apiError) {
	id := p.Get("ImageId")
	im, ok := f.images[id]
	switch {
	case !ok:
		return nil, clientError("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
	case im.deregistered:
		return nil, clientError("InvalidAMIID.Unavailable", "The image id '[%s]' is no longer available", id)
	}
	im.deregistered = true
	return okResponse("DeregisterImage"), nil
}

func (f *Fake) deleteSnapshot(p url.Values, _ time.Time) (any, *apiError) {
	id := p.Get("SnapshotId")
	if !f.snapshots[id] {
		return nil, clientError("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", id)
	}
	for _, im := range f.images {
		for _, bd := range im.BlockDevices {
			if !im.deregistered && bd.EBS != nil && bd.EBS.SnapshotID == id {
				return nil, clientError("InvalidSnapshot.InUse", "The snapshot %s is currently in use by %s", id, im.ID)
			}
		}
	}
	delete(f.snapshots, id)
	return okResponse("DeleteSnapshot"), nil
}
