package alicloudtest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
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

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers/vm/alicloud"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/fakebase"
)

// maxSkew is how far a request's Timestamp may be from the fake's clock (ECS: 15 minutes).
const maxSkew = 15 * time.Minute

// action is one API action the fake serves: the parameters it accepts besides the common
// ones, those it requires, and its handler, called with the fake's lock held.
type action struct {
	params   []*regexp.Regexp
	required []string
	handle   func(f *Fake, p url.Values, now time.Time) (any, *apiError)
}

var params = fakebase.Patterns

var common = []string{"Action", "Version", "Format", "AccessKeyId", "SignatureMethod", "SignatureVersion",
	"SignatureNonce", "Timestamp", "Signature"}

var tagParams = []string{`Tag\.\d+\.Key`, `Tag\.\d+\.Value`}

var actions = map[string]action{
	"DescribeInstances": {params: params(append(tagParams, `RegionId`, `InstanceIds`, `Status`, `PageNumber`, `PageSize`)...),
		required: []string{"RegionId"}, handle: (*Fake).describeInstances},
	"RunInstances": {params: params(append(tagParams, `RegionId`, `ImageId`, `InstanceType`, `Amount`, `InstanceChargeType`, `ClientToken`,
		`SecurityGroupId`, `VSwitchId`, `InstanceName`, `HostName`, `UserData`, `SystemDisk\.Size`, `SystemDisk\.Category`,
		`InternetMaxBandwidthOut`, `KeyPairName`)...),
		required: []string{"RegionId", "ImageId", "InstanceType"}, handle: (*Fake).runInstances},
	"StopInstance":   {params: params(`InstanceId`, `StoppedMode`, `ForceStop`), required: []string{"InstanceId"}, handle: stateHandler("StopInstance")},
	"StartInstance":  {params: params(`InstanceId`), required: []string{"InstanceId"}, handle: stateHandler("StartInstance")},
	"DeleteInstance": {params: params(`InstanceId`, `Force`), required: []string{"InstanceId"}, handle: stateHandler("DeleteInstance")},
	"TagResources": {params: params(append(tagParams, `RegionId`, `ResourceType`, `ResourceId\.\d+`)...),
		required: []string{"RegionId", "ResourceType", "ResourceId.1", "Tag.1.Key"}, handle: (*Fake).tagResources},
	"DescribeImages": {params: params(append(tagParams, `RegionId`, `ImageId`, `ImageOwnerAlias`, `Status`, `PageNumber`, `PageSize`)...),
		required: []string{"RegionId"}, handle: (*Fake).describeImages},
	"DeleteImage":    {params: params(`RegionId`, `ImageId`, `Force`), required: []string{"RegionId", "ImageId"}, handle: (*Fake).deleteImage},
	"DeleteSnapshot": {params: params(`SnapshotId`, `Force`), required: []string{"SnapshotId"}, handle: (*Fake).deleteSnapshot},
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		f.API.Violationf("Content-Type %q, want application/x-www-form-urlencoded", ct)
	}
	p, err := url.ParseQuery(string(body))
	if err != nil {
		writeError(w, errorf(http.StatusBadRequest, "InvalidParameter", "the body is not form-encoded"))
		return
	}
	if e := f.authenticate(r.Method, p); e != nil {
		f.API.Violationf("signature: %s: %s", e.code, e.msg)
		writeError(w, e)
		return
	}
	if e := f.check(p); e != nil {
		f.API.Violationf("%s: %s: %s", p.Get("Action"), e.code, e.msg)
		writeError(w, e)
		return
	}
	f.mu.Lock()
	out, e := actions[p.Get("Action")].handle(f, p, time.Now())
	f.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	if out == nil {
		out = map[string]string{}
	}
	b, _ := json.Marshal(out)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	m["RequestId"] = fmt.Sprintf("%08X-FAKE-%04d", len(body), f.API.Total())
	apifake.WriteJSON(w, http.StatusOK, m)
}

// encode is the RPC signature's percent-encoding, written independently of the client's:
// unreserved characters (A-Z a-z 0-9 - _ . ~) stay, every other byte is %XX.
func encode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// authenticate checks the signature parameters as ECS does.
func (f *Fake) authenticate(method string, p url.Values) *apiError {
	switch {
	case p.Get("AccessKeyId") != f.opts.AccessKeyID:
		return errorf(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	case p.Get("SignatureMethod") != "HMAC-SHA1" || p.Get("SignatureVersion") != "1.0":
		return errorf(http.StatusBadRequest, "IncompleteSignature", "SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0")
	case p.Get("SignatureNonce") == "":
		return errorf(http.StatusBadRequest, "MissingSignatureNonce", "SignatureNonce is mandatory")
	case f.nonceSeen(p.Get("SignatureNonce")):
		return errorf(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	at, err := time.Parse(alicloud.TimestampFormat, p.Get("Timestamp"))
	if err != nil {
		return errorf(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	if d := time.Since(at); d > maxSkew || d < -maxSkew {
		return errorf(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var canon []string
	for _, k := range keys {
		canon = append(canon, encode(k)+"="+encode(p.Get(k)))
	}
	sts := method + "&" + encode("/") + "&" + encode(strings.Join(canon, "&"))
	m := hmac.New(sha1.New, []byte(f.opts.AccessKeySecret+"&"))
	m.Write([]byte(sts))
	if !hmac.Equal([]byte(base64.StdEncoding.EncodeToString(m.Sum(nil))), []byte(p.Get("Signature"))) {
		return errorf(http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
	}
	return nil
}

func (f *Fake) nonceSeen(n string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.nonces[n] {
		return true
	}
	f.nonces[n] = true
	return false
}

// check refuses what ECS refuses before acting: an unknown action or version, an unknown,
// repeated or missing parameter.
func (f *Fake) check(p url.Values) *apiError {
	name := p.Get("Action")
	a, ok := actions[name]
	if !ok {
		return errorf(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
	if p.Get("Version") != alicloud.APIVersion || p.Get("Format") != "JSON" {
		return errorf(http.StatusBadRequest, "InvalidParameter", "Version must be %s and Format JSON", alicloud.APIVersion)
	}
	for k, vs := range p {
		if len(vs) != 1 {
			return errorf(http.StatusBadRequest, "InvalidParameter", "parameter %s is repeated", k)
		}
		if slices.Contains(common, k) {
			continue
		}
		if !slices.ContainsFunc(a.params, func(re *regexp.Regexp) bool { return re.MatchString(k) }) {
			return errorf(http.StatusBadRequest, "InvalidParameter", "The parameter %s is not valid for %s", k, name)
		}
	}
	for _, k := range a.required {
		if p.Get(k) == "" {
			return errorf(http.StatusBadRequest, "MissingParameter", "The input parameter %s that is mandatory for processing this request is not supplied.", k)
		}
	}
	if r := p.Get("RegionId"); r != "" && r != f.opts.Region {
		return errorf(http.StatusBadRequest, "InvalidRegionId.NotFound", "The specified RegionId %s does not exist.", r)
	}
	return nil
}

func writeError(w http.ResponseWriter, e *apiError) {
	apifake.WriteJSON(w, e.status, errorJSON(e.code, e.msg))
}

// tags parses Tag.N.Key/Value: counted from 1 without gaps, a key for every value.
func tags(p url.Values) (map[string]string, *apiError) {
	out := map[string]string{}
	n := 0
	for k := range p {
		if strings.HasPrefix(k, "Tag.") && strings.HasSuffix(k, ".Key") {
			n++
		}
	}
	for i := 1; i <= n; i++ {
		k := p.Get("Tag." + strconv.Itoa(i) + ".Key")
		if k == "" {
			return nil, errorf(http.StatusBadRequest, "InvalidTagKey.Malformed", "Tag.%d.Key is missing: tags count from 1", i)
		}
		out[k] = p.Get("Tag." + strconv.Itoa(i) + ".Value")
	}
	for k := range p {
		if strings.HasPrefix(k, "Tag.") && strings.HasSuffix(k, ".Value") && p.Get(strings.TrimSuffix(k, ".Value")+".Key") == "" {
			return nil, errorf(http.StatusBadRequest, "InvalidTagKey.Malformed", "%s has no key", k)
		}
	}
	return out, nil
}

func hasTags(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// paging reads PageNumber (from 1) and PageSize (1 to 100, default 10).
func paging(p url.Values) (number, size int, e *apiError) {
	number, size = 1, 10
	if v := p.Get("PageNumber"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, errorf(http.StatusBadRequest, "InvalidPageNumber.Malformed", "PageNumber must be a positive integer")
		}
		number = n
	}
	if v := p.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return 0, 0, errorf(http.StatusBadRequest, "InvalidPageSize.Malformed", "PageSize must be 1 to 100")
		}
		size = n
	}
	return number, size, nil
}

func cut[T any](items []T, number, size int) []T {
	start := min((number-1)*size, len(items))
	return items[start:min(start+size, len(items))]
}

var statuses = []string{alicloud.StatusPending, alicloud.StatusStarting, alicloud.StatusRunning, alicloud.StatusStopping, alicloud.StatusStopped}

func (f *Fake) describeInstances(p url.Values, now time.Time) (any, *apiError) {
	want, e := tags(p)
	if e != nil {
		return nil, e
	}
	number, size, e := paging(p)
	if e != nil {
		return nil, e
	}
	var ids []string
	if v := p.Get("InstanceIds"); v != "" {
		if err := json.Unmarshal([]byte(v), &ids); err != nil {
			return nil, errorf(http.StatusBadRequest, "InvalidInstanceIds.Malformed", "InstanceIds must be a JSON array of ids")
		}
	}
	if s := p.Get("Status"); s != "" && !slices.Contains(statuses, s) {
		return nil, errorf(http.StatusBadRequest, "InvalidStatus.ValueNotSupported", "Status %s is not valid", s)
	}
	var all []alicloud.Instance
	for _, id := range f.order {
		in := f.instances[id]
		f.settle(in, now)
		if in.released || len(ids) > 0 && !slices.Contains(ids, id) || p.Get("Status") != "" && in.Status != p.Get("Status") ||
			!hasTags(in.Tags.Map(), want) {
			continue
		}
		all = append(all, in.Instance)
	}
	var resp struct {
		TotalCount int `json:"TotalCount"`
		PageNumber int `json:"PageNumber"`
		PageSize   int `json:"PageSize"`
		Instances  struct {
			Instance []alicloud.Instance `json:"Instance"`
		} `json:"Instances"`
	}
	resp.TotalCount, resp.PageNumber, resp.PageSize = len(all), number, size
	resp.Instances.Instance = append([]alicloud.Instance{}, cut(all, number, size)...)
	return resp, nil
}

var instanceTypes = map[string]bool{"ecs.g7.large": true, "ecs.g7.xlarge": true, "ecs.g6.large": true, "ecs.g6.xlarge": true, "ecs.c7.large": true, "ecs.t6-c1m1.large": true}

func (f *Fake) runInstances(p url.Values, now time.Time) (any, *apiError) {
	tg, e := tags(p)
	if e != nil {
		return nil, e
	}
	token := p.Get("ClientToken")
	if u, seen := f.tokens[token]; token != "" && seen {
		if u.params != withoutSignature(p) {
			return nil, errorf(http.StatusBadRequest, "IdempotentParameterMismatch", "The specified parameters are different from before with the same ClientToken.")
		}
		return runAnswer(u.instance), nil
	}
	im, found := f.images[p.Get("ImageId")]
	switch {
	case !found:
		return nil, errorf(http.StatusNotFound, "InvalidImageId.NotFound", "The specified ImageId does not exist.")
	case im.Status != alicloud.ImageAvailable:
		return nil, errorf(http.StatusForbidden, "IncorrectImageStatus", "The specified image is not available.")
	case !instanceTypes[p.Get("InstanceType")]:
		return nil, errorf(http.StatusBadRequest, "InvalidInstanceType.ValueNotSupported", "The specified InstanceType does not exist or is not supported.")
	case p.Get("Amount") != "" && p.Get("Amount") != "1":
		return nil, errorf(http.StatusBadRequest, "InvalidParameter", "sindri launches one instance per call")
	case p.Get("VSwitchId") == "":
		// VPC instances need a vSwitch; classic network is gone.
		return nil, errorf(http.StatusBadRequest, "InvalidVSwitchId.NotFound", "a VSwitchId is required for a VPC instance")
	}
	var userData string
	if ud := p.Get("UserData"); ud != "" {
		b, err := base64.StdEncoding.DecodeString(ud)
		if err != nil || len(ud) > 32*1024 {
			return nil, errorf(http.StatusBadRequest, "InvalidUserData.Malformed", "UserData must be base64, at most 32 KB")
		}
		userData = string(b)
	}
	if v := p.Get("SystemDisk.Size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 20 || n > 2048 || n < im.Size {
			return nil, errorf(http.StatusBadRequest, "InvalidSystemDiskSize.ValueNotSupported", "SystemDisk.Size must be 20 to 2048 and at least the image's size")
		}
	}
	id := f.nextID("i")
	in := &instance{userData: userData, publicIP: fmt.Sprintf("47.96.%d.%d", f.seq/250, f.seq%250+1), fail: f.failing[im.ID]}
	if f.opts.PublicIP != "" {
		in.publicIP = f.opts.PublicIP
	}
	in.Instance = alicloud.Instance{ID: id, Name: p.Get("InstanceName"), ImageID: im.ID, Type: p.Get("InstanceType"),
		RegionID: f.opts.Region, ZoneID: f.opts.Region + "-h", CreationTime: now.UTC().Format("2006-01-02T15:04Z"),
		KeyPairName: p.Get("KeyPairName"), Tags: alicloud.TagsOf(tg)}
	if in.Name == "" {
		in.Name = id
	}
	in.VPC.VSwitchID = p.Get("VSwitchId")
	in.VPC.PrivateIP.IPAddress = []string{fmt.Sprintf("172.16.%d.%d", f.seq/250, f.seq%250+1)}
	if p.Get("InternetMaxBandwidthOut") == "" || p.Get("InternetMaxBandwidthOut") == "0" {
		in.publicIP = ""
	}
	in.enter(alicloud.StatusPending, now)
	f.instances[id] = in
	f.order = append(f.order, id)
	if token != "" {
		f.tokens[token] = tokenUse{instance: id, params: withoutSignature(p)}
	}
	return runAnswer(id), nil
}

func runAnswer(id string) any {
	var resp struct {
		IDs struct {
			ID []string `json:"InstanceIdSet"`
		} `json:"InstanceIdSets"`
	}
	resp.IDs.ID = []string{id}
	return resp
}

// withoutSignature is p's action parameters, the per-request signature ones left out.
func withoutSignature(p url.Values) string {
	q := url.Values{}
	for k, v := range p {
		if !slices.Contains(common, k) {
			q[k] = v
		}
	}
	return q.Encode()
}

// stateHandler serves Stop, Start and DeleteInstance by the moves table.
func stateHandler(verb string) func(f *Fake, p url.Values, now time.Time) (any, *apiError) {
	return func(f *Fake, p url.Values, now time.Time) (any, *apiError) {
		id := p.Get("InstanceId")
		in, found := f.instances[id]
		if !found || in.released {
			return nil, errorf(http.StatusNotFound, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist.")
		}
		f.settle(in, now)
		switch verb {
		case "StopInstance":
			if m := p.Get("StoppedMode"); m != "" && m != alicloud.StopCharging && m != alicloud.KeepCharging {
				return nil, errorf(http.StatusBadRequest, "InvalidStoppedMode.ValueNotSupported", "StoppedMode %s is not valid", m)
			}
		case "DeleteInstance":
			if in.Status == alicloud.StatusRunning && p.Get("Force") != "true" {
				return nil, errorf(http.StatusForbidden, "IncorrectInstanceStatus", "The current status of the resource does not support this operation: release a running instance with Force")
			}
		}
		next, ok := moves[verb][in.Status]
		if !ok {
			return nil, errorf(http.StatusForbidden, "IncorrectInstanceStatus", "The current status of the resource does not support this operation (%s is %s).", id, in.Status)
		}
		switch {
		case next == deleted:
			in.released = true
		case next != in.Status:
			in.enter(next, now)
			if verb == "StopInstance" {
				in.StoppedMode = p.Get("StoppedMode")
				if in.StoppedMode == "" {
					in.StoppedMode = alicloud.KeepCharging
				}
			}
		}
		return nil, nil
	}
}

func (f *Fake) tagResources(p url.Values, _ time.Time) (any, *apiError) {
	if p.Get("ResourceType") != "instance" {
		return nil, errorf(http.StatusBadRequest, "InvalidResourceType.NotFound", "sindri tags instances only")
	}
	add, e := tags(p)
	if e != nil {
		return nil, e
	}
	for i := 1; p.Get("ResourceId."+strconv.Itoa(i)) != ""; i++ {
		in, found := f.instances[p.Get("ResourceId."+strconv.Itoa(i))]
		if !found || in.released {
			return nil, errorf(http.StatusNotFound, "InvalidResourceId.NotFound", "The specified ResourceIds are not found in our records.")
		}
		m := in.Tags.Map()
		for k, v := range add {
			m[k] = v
		}
		in.Tags = alicloud.TagsOf(m)
	}
	return nil, nil
}

func (f *Fake) describeImages(p url.Values, _ time.Time) (any, *apiError) {
	want, e := tags(p)
	if e != nil {
		return nil, e
	}
	number, size, e := paging(p)
	if e != nil {
		return nil, e
	}
	if a := p.Get("ImageOwnerAlias"); a != "" && a != "self" {
		f.API.Violationf("DescribeImages: ImageOwnerAlias %q lists images sindri did not make", a)
	}
	var ids []string
	if v := p.Get("ImageId"); v != "" {
		ids = strings.Split(v, ",")
	}
	var all []alicloud.Image
	for _, im := range f.images {
		if len(ids) > 0 && !slices.Contains(ids, im.ID) || p.Get("Status") != "" && im.Status != p.Get("Status") || !hasTags(im.Tags.Map(), want) {
			continue
		}
		all = append(all, *im)
	}
	slices.SortFunc(all, func(a, b alicloud.Image) int {
		if c := strings.Compare(b.CreationTime, a.CreationTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	var resp struct {
		TotalCount int    `json:"TotalCount"`
		PageNumber int    `json:"PageNumber"`
		PageSize   int    `json:"PageSize"`
		RegionID   string `json:"RegionId"`
		Images     struct {
			Image []alicloud.Image `json:"Image"`
		} `json:"Images"`
	}
	resp.TotalCount, resp.PageNumber, resp.PageSize, resp.RegionID = len(all), number, size, f.opts.Region
	resp.Images.Image = append([]alicloud.Image{}, cut(all, number, size)...)
	return resp, nil
}

func (f *Fake) deleteImage(p url.Values, _ time.Time) (any, *apiError) {
	id := p.Get("ImageId")
	if _, found := f.images[id]; !found {
		return nil, errorf(http.StatusNotFound, "InvalidImageId.NotFound", "The specified ImageId does not exist.")
	}
	for _, in := range f.instances {
		if in.ImageID == id && !in.released {
			if p.Get("Force") != "true" {
				return nil, errorf(http.StatusForbidden, "IncorrectImageStatus", "The image is used by instance %s", in.ID)
			}
		}
	}
	delete(f.images, id)
	return nil, nil
}

func (f *Fake) deleteSnapshot(p url.Values, _ time.Time) (any, *apiError) {
	id := p.Get("SnapshotId")
	if !f.snapshots[id] {
		return nil, errorf(http.StatusNotFound, "InvalidSnapshotId.NotFound", "The specified SnapshotId does not exist.")
	}
	for _, im := range f.images {
		for _, d := range im.Disks.Mapping {
			if d.SnapshotID == id {
				return nil, errorf(http.StatusForbidden, "IncorrectSnapshotStatus", "The snapshot is used by image %s", im.ID)
			}
		}
	}
	delete(f.snapshots, id)
	return nil, nil
}
