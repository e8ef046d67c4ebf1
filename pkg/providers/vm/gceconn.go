package vm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm/gce"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudrest"
)

func init() {
	connectors[config.CloudGCP] = gceConnect
	plans[config.CloudGCP] = gcePlan{}
}

// gceKeyVar names the service-account key: a path to its JSON file (or, as a job
// credential, the JSON itself).
const gceKeyVar = "GOOGLE_APPLICATION_CREDENTIALS"

// Metadata items the GCE instance carries besides labels: the exact tags (label values are
// lower-cased and cut to 63 characters) and the image it was made from (a running
// instance's description does not name its boot disk's image), and cloud-init's user-data.
const (
	gceTagsItem     = "sindri-tags"
	gceImageItem    = "sindri-image"
	gceUserDataItem = "user-data"
)

// gceKey reads the service-account key of s (job credential, else the executor's variable).
func (p *Provider) gceKey(s *providers.Spec) (*gce.Key, error) {
	v := p.credential(s, gceKeyVar)
	if v == "" {
		return nil, providers.MissingCredential(Name, gceKeyVar)
	}
	b := []byte(v)
	if !strings.HasPrefix(strings.TrimSpace(v), "{") {
		var err error
		if b, err = os.ReadFile(v); err != nil {
			return nil, fmt.Errorf("%s: %s: the service-account key file cannot be read (%v): %w", Name, gceKeyVar, errors.Unwrap(err), providers.ErrInvalidSpec)
		}
	}
	k, err := gce.ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", Name, gceKeyVar, err)
	}
	return k, nil
}

// gceProject is the project of s: providers.packer.gcp.project_id, else the handle's,
// else GCP_PROJECT_ID, else the key's project_id.
func (p *Provider) gceProject(s *providers.Spec, k *gce.Key) string {
	if s != nil && s.Config != nil && s.Config.Providers.Packer != nil && s.Config.Providers.Packer.GCP != nil && s.Config.Providers.Packer.GCP.ProjectID != "" {
		return s.Config.Providers.Packer.GCP.ProjectID
	}
	if s != nil {
		if h := readHandle(s); h.Cloud == string(config.CloudGCP) && h.Scope != "" {
			return h.Scope
		}
	}
	if v := p.credential(s, "GCP_PROJECT_ID"); v != "" {
		return v
	}
	return k.ProjectID
}

// restOptions are the transport settings of the cloud clients (PollInterval is the JSON
// clients'; the signing clients' callers wait with it themselves).
func (p *Provider) restOptions() cloudrest.Options {
	return cloudrest.Options{Provider: Name, HTTPClient: p.cfg.HTTPClient, Timeout: p.cfg.APITimeout, BackoffBase: p.cfg.BackoffBase,
		Recorder: p.cfg.Recorder, PollInterval: p.cfg.PollInterval}
}

func gceConnect(p *Provider, s *providers.Spec, zone string) (cloudAPI, error) {
	k, err := p.gceKey(s)
	if err != nil {
		return nil, err
	}
	project := p.gceProject(s, k)
	if project == "" {
		return nil, fmt.Errorf("%s: no GCP project: set providers.packer.gcp.project_id or GCP_PROJECT_ID: %w", Name, providers.ErrInvalidSpec)
	}
	c, err := gce.New(gce.Config{Project: project, Zone: zone, Key: k, Endpoint: p.cfg.GCEEndpoint, Options: p.restOptions()})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	return gceCloud{c}, nil
}

// gceCloud is cloudAPI on Compute Engine. Instance and image ids are their names.
type gceCloud struct{ c *gce.Client }

func (g gceCloud) Region() string { return g.c.Zone() }

// Scope is the project (scoped).
func (g gceCloud) Scope() string { return g.c.Project() }

// gceKeys are the neutral tag keys read back from GCE label keys.
var gceKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range sindriTagKeys() {
		m[gceLabelKey(k)] = k
	}
	return m
}()

func gceLabelKey(k string) string { return gcpLabelChar.ReplaceAllString(strings.ToLower(k), "_") }

// gceLabels are tags as GCE labels (keys and values in label form).
func gceLabels(tags map[string]string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		out[gceLabelKey(k)] = gcpLabelValue(v)
	}
	return out
}

// gceTags reads labels back into neutral tags (values as the labels hold them).
func gceTags(labels map[string]string) map[string]string {
	out := make(map[string]string, len(labels))
	for k, v := range labels {
		if n, ok := gceKeys[k]; ok {
			k = n
		}
		out[k] = v
	}
	return out
}

func (g gceCloud) FindInstances(ctx context.Context, tags map[string]string) ([]Instance, error) {
	found, err := g.c.ListInstances(ctx, gceLabels(tags))
	if err != nil {
		return nil, err
	}
	out := make([]Instance, 0, len(found))
	for _, in := range found {
		// Label values are lower-cased and cut: the exact tags decide.
		if n := gceInstance(in); labelsHave(n.Tags, tags) {
			out = append(out, n)
		}
	}
	return out, nil
}

func (g gceCloud) Instance(ctx context.Context, id string) (*Instance, error) {
	in, err := g.c.GetInstance(ctx, id)
	if err != nil {
		return nil, err
	}
	out := gceInstance(*in)
	return &out, nil
}

func gceInstance(in gce.Instance) Instance {
	tags := gceTags(in.Labels)
	var exact map[string]string
	if json.Unmarshal([]byte(in.Meta(gceTagsItem)), &exact) == nil && len(exact) > 0 {
		tags = exact
	}
	out := Instance{ID: in.Name, ImageID: in.Meta(gceImageItem), Type: in.MachineType[strings.LastIndex(in.MachineType, "/")+1:],
		State: gceState(in.Status), CloudState: in.Status, Reason: in.StatusMessage, Launched: in.Created(), Tags: tags,
		Login: "an SSH key in the project's or instance's ssh-keys metadata (or gcloud compute ssh " + in.Name + ")"}
	for _, ni := range in.NetworkInterfaces {
		if out.PrivateIP == "" {
			out.PrivateIP = ni.NetworkIP
		}
		for _, ac := range ni.AccessConfigs {
			if out.PublicIP == "" {
				out.PublicIP = ac.NatIP
			}
		}
	}
	return out
}

// gceState normalises a GCE instance status (TERMINATED is stopped; deleted is gone).
func gceState(status string) string {
	switch status {
	case gce.StatusProvisioning, gce.StatusStaging, gce.StatusRepairing:
		return instPending
	case gce.StatusRunning:
		return instRunning
	case gce.StatusStopping, gce.StatusSuspending:
		return instStopping
	case gce.StatusTerminated, gce.StatusStopped, gce.StatusSuspended:
		return instStopped
	}
	return status
}

// gceInsert is the instances.insert body of in (c names the project and zone).
func gceInsert(project, zone string, in createInput) gce.Instance {
	g := deref(in.Config.GCP)
	tags, _ := json.Marshal(in.Tags)
	disk := &gce.DiskInit{SourceImage: gce.ImageURL(project, in.Image), Labels: gceLabels(in.Tags)}
	if in.VolumeGB > 0 {
		disk.DiskSizeGB = gce.DiskSize(in.VolumeGB)
	}
	if g.DiskType != "" {
		disk.DiskType = "zones/" + zone + "/diskTypes/" + g.DiskType
	}
	ni := gce.NetworkInterface{Network: g.Network, Subnetwork: g.Subnetwork,
		AccessConfigs: []gce.AccessConfig{{Type: "ONE_TO_ONE_NAT", Name: "External NAT"}}}
	return gce.Instance{Name: instanceName(in.Name, in.Token), MachineType: gce.MachineTypeURL(zone, in.Type), Labels: gceLabels(in.Tags),
		Metadata: &gce.Metadata{Items: []gce.MetadataItem{{Key: gceTagsItem, Value: string(tags)}, {Key: gceImageItem, Value: in.Image},
			{Key: gceUserDataItem, Value: in.UserData}}},
		Disks:             []gce.AttachedDisk{{Boot: true, AutoDelete: true, InitializeParams: disk}},
		NetworkInterfaces: []gce.NetworkInterface{ni}}
}

func (g gceCloud) Create(ctx context.Context, in createInput) (*Instance, error) {
	body := gceInsert(g.c.Project(), g.c.Zone(), in)
	if err := g.c.InsertInstance(ctx, body); err != nil {
		return nil, err
	}
	return g.Instance(ctx, body.Name)
}

// SetTags merges tags into the labels and the sindri-tags item; a fingerprint that moved
// (a concurrent change, or this call's own lost answer) is read again.
func (g gceCloud) SetTags(ctx context.Context, id string, tags map[string]string) error {
	var err error
	for range 3 {
		var in *gce.Instance
		if in, err = g.c.GetInstance(ctx, id); err != nil {
			return err
		}
		labels := maps.Clone(in.Labels)
		if labels == nil {
			labels = map[string]string{}
		}
		maps.Copy(labels, gceLabels(tags))
		if !maps.Equal(labels, in.Labels) {
			if err = g.c.SetLabels(ctx, id, labels, in.LabelFingerprint); err != nil {
				if errors.Is(err, providers.ErrConflict) {
					continue
				}
				return err
			}
		}
		have := gceInstance(*in).Tags
		merged := maps.Clone(have)
		maps.Copy(merged, tags)
		if maps.Equal(merged, have) && in.Meta(gceTagsItem) != "" {
			return nil
		}
		b, _ := json.Marshal(merged)
		md := gce.Metadata{Fingerprint: in.Metadata.Fingerprint}
		for _, it := range in.Metadata.Items {
			if it.Key != gceTagsItem {
				md.Items = append(md.Items, it)
			}
		}
		md.Items = append(md.Items, gce.MetadataItem{Key: gceTagsItem, Value: string(b)})
		if err = g.c.SetMetadata(ctx, id, md); err == nil || !errors.Is(err, providers.ErrConflict) {
			return err
		}
	}
	return err
}

func (g gceCloud) Stop(ctx context.Context, id string) error  { return g.c.StopInstance(ctx, id) }
func (g gceCloud) Start(ctx context.Context, id string) error { return g.c.StartInstance(ctx, id) }

func (g gceCloud) Terminate(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		if err := g.c.DeleteInstance(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

func (g gceCloud) FindImages(ctx context.Context, q imageQuery) ([]Image, error) {
	var found []gce.Image
	if len(q.IDs) > 0 {
		want := gceLabels(q.Tags)
		for _, id := range q.IDs {
			im, err := g.c.GetImage(ctx, id)
			if errors.Is(err, providers.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if labelsHave(im.Labels, want) {
				found = append(found, *im)
			}
		}
	} else {
		var err error
		if found, err = g.c.ListImages(ctx, gceLabels(q.Tags)); err != nil {
			return nil, err
		}
	}
	var out []Image
	for _, im := range found {
		if q.Available && im.Status != gce.ImageReady {
			continue
		}
		out = append(out, Image{ID: im.Name, Name: im.Name, Created: im.Created(), CreatedText: im.CreationTimestamp,
			Available: im.Status == gce.ImageReady, Tags: gceTags(im.Labels)})
	}
	return out, nil
}

func (g gceCloud) DeleteImage(ctx context.Context, im Image) error {
	if err := g.c.DeleteImage(ctx, im.ID); err != nil {
		return fmt.Errorf("delete image %s: %w", im.ID, err)
	}
	return nil
}

// gcePlan is cloudPlan on Compute Engine.
type gcePlan struct{}

func (gcePlan) API() string      { return "Compute Engine" }
func (gcePlan) Resource() string { return "google_compute_instance" }

func (gcePlan) Call(op string, d *desired, arg string) string {
	switch op {
	case opFindImage:
		return fmt.Sprintf("Compute Engine GET global/images filter=%s (status READY)", gce.LabelFilter(gceLabels(ImageTags(d.pc))))
	case opFindInstances:
		return fmt.Sprintf("Compute Engine GET zones/%s/instances filter=%s", d.region, gce.LabelFilter(gceLabels(envTags(arg))))
	case opCreate:
		return fmt.Sprintf("Compute Engine POST zones/%s/instances (sourceImage %s, machineType %s; see gce/instance.json), then its operation until DONE", d.region, arg, d.instanceType)
	case opStart:
		return fmt.Sprintf("Compute Engine POST zones/%s/instances/%s/start, then its operation until DONE", d.region, arg)
	case opSetTags:
		return fmt.Sprintf("Compute Engine POST zones/%s/instances/%s/setLabels and setMetadata", d.region, arg)
	}
	return fmt.Sprintf("Compute Engine GET zones/%s/instances/<name> (until RUNNING)", d.region)
}

func (gcePlan) Launch(in createInput) map[string]string {
	project := deref(in.Config.GCP).ProjectID
	if project == "" {
		project = "<GCP_PROJECT_ID>"
	}
	body := gceInsert(project, region(in.Config), in)
	for i, it := range body.Metadata.Items {
		if it.Key == gceUserDataItem {
			body.Metadata.Items[i].Value = "<gce/user-data.yaml>"
		}
	}
	b, _ := json.MarshalIndent(body, "", "  ")
	return map[string]string{"gce/instance.json": "# POST " + gce.DefaultEndpoint + "projects/" + project + "/zones/" + region(in.Config) +
		"/instances (OAuth2 bearer token of the service account)\n" + string(b) + "\n", "gce/user-data.yaml": in.UserData}
}
