package vm

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm/oci"
)

func init() {
	connectors[config.CloudOCI] = ociConnect
	plans[config.CloudOCI] = ociPlan{}
}

// ociKeyVars are the API key's variables, in the order a missing one is reported.
var ociKeyVars = []string{"OCI_TENANCY_OCID", "OCI_USER_OCID", "OCI_FINGERPRINT", "OCI_KEY_FILE"}

// ociAPIVars are what OCI's API calls need (deployVars): the key, the region and the
// compartment (which the config may name instead).
var ociAPIVars = append(append([]string(nil), ociKeyVars...), "OCI_REGION", "OCI_COMPARTMENT_OCID")

// ociConnect returns the Core Services client of region (else the executor's OCI_REGION)
// signed with the API key of s (job credentials, else the executor's): OCI_TENANCY_OCID,
// OCI_USER_OCID, OCI_FINGERPRINT and the PEM key at OCI_KEY_FILE. The compartment and subnet
// come from the config, else (the compartment) the handle's scope, else the executor's
// OCI_COMPARTMENT_OCID and OCI_SUBNET_OCID. Those
// three are settings, not secrets (they show in handles and request URLs), so they are read
// from the executor only, never from a job credential. A missing variable is one
// MissingCredential naming it; the key's content is never quoted.
func ociConnect(p *Provider, s *providers.Spec, region string) (cloudAPI, error) {
	if region == "" {
		region = p.cfg.Getenv("OCI_REGION")
	}
	if region == "" {
		return nil, providers.MissingCredential(Name, "OCI_REGION")
	}
	for _, name := range ociKeyVars {
		if p.credential(s, name) == "" {
			return nil, providers.MissingCredential(Name, name)
		}
	}
	pemBytes, err := os.ReadFile(p.credential(s, "OCI_KEY_FILE"))
	if err != nil {
		return nil, fmt.Errorf("%s: read the OCI API key named by OCI_KEY_FILE: %w: %w", Name, errors.Unwrap(err), providers.ErrAuth)
	}
	key, err := oci.ParsePrivateKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: OCI_KEY_FILE: %w: %w", Name, err, providers.ErrAuth)
	}
	c, err := oci.New(oci.Config{Region: region, Endpoint: p.cfg.OCIEndpoint,
		Credentials: oci.Credentials{TenancyOCID: p.credential(s, "OCI_TENANCY_OCID"), UserOCID: p.credential(s, "OCI_USER_OCID"),
			Fingerprint: p.credential(s, "OCI_FINGERPRINT"), PrivateKey: key},
		Options: p.restOptions()})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	// Without config the handle's scope is the compartment the instance was launched in.
	o := ociCloud{c: c, compartment: cmp.Or(handleScope(s, config.CloudOCI), p.cfg.Getenv("OCI_COMPARTMENT_OCID")), subnet: p.cfg.Getenv("OCI_SUBNET_OCID")}
	if s != nil && s.Config != nil && s.Config.Providers.Packer != nil && s.Config.Providers.Packer.OCI != nil {
		oc := s.Config.Providers.Packer.OCI
		o.compartment = cmp.Or(oc.CompartmentOCID, o.compartment)
		o.subnet = cmp.Or(oc.SubnetOCID, o.subnet)
	}
	if o.compartment == "" {
		return nil, fmt.Errorf("%s: no OCI compartment: set providers.packer.oci.compartment_ocid, or OCI_COMPARTMENT_OCID on the executor: %w", Name, providers.ErrInvalidSpec)
	}
	return o, nil
}

// ociCloud is cloudAPI on OCI's Core Services API, in one compartment.
type ociCloud struct {
	c           *oci.Client
	compartment string
	subnet      string
}

func (o ociCloud) Region() string { return o.c.Region() }

// Scope is the compartment: a teardown without config finds the instance there again.
func (o ociCloud) Scope() string { return o.compartment }

// ociState normalises an OCI lifecycle state.
func ociState(s string) string {
	switch s {
	case oci.StateProvisioning, oci.StateStarting, "CREATING_IMAGE", "MOVING":
		return instPending
	case oci.StateRunning:
		return instRunning
	case oci.StateStopping:
		return instStopping
	case oci.StateStopped:
		return instStopped
	case oci.StateTerminating:
		return instTerminating
	case oci.StateTerminated:
		return instTerminated
	}
	return strings.ToLower(s)
}

// ociInstance is in in neutral terms (addresses are read separately).
func ociInstance(in oci.Instance) Instance {
	out := Instance{ID: in.ID, ImageID: in.ImageID, Type: in.Shape, State: ociState(in.LifecycleState), CloudState: in.LifecycleState,
		Launched: in.TimeCreated, Tags: maps.Clone(in.FreeformTags),
		Login: "a key of providers.packer.oci.ssh_authorized_keys (none set: the OCI console's cloud shell or serial console)"}
	if in.Metadata["ssh_authorized_keys"] != "" {
		out.Login = "the private key of one of providers.packer.oci.ssh_authorized_keys"
	}
	if in.ImageID == "" && in.SourceDetails != nil {
		out.ImageID = in.SourceDetails.ImageID
	}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	if in.LifecycleState == oci.StateTerminated {
		out.Reason = "terminated (OCI gives no reason on the instance: see its work requests in the console)"
	}
	return out
}

func (o ociCloud) FindInstances(ctx context.Context, tags map[string]string) ([]Instance, error) {
	found, err := o.c.ListInstances(ctx, o.compartment, "")
	if err != nil {
		return nil, err
	}
	var out []Instance
	for _, in := range found {
		if in.LifecycleState == oci.StateTerminated || !hasTags(in.FreeformTags, tags) {
			continue
		}
		n := ociInstance(in)
		if err := o.addresses(ctx, in, &n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// listed finds instance id in the compartment's list; notFound is the error when it is not there.
func (o ociCloud) listed(ctx context.Context, id string, notFound error) (*oci.Instance, error) {
	all, err := o.c.ListInstances(ctx, o.compartment, "")
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	return nil, notFound
}

// addresses fills n's IPs from its primary VNIC when it runs (OCI's instance has none).
func (o ociCloud) addresses(ctx context.Context, in oci.Instance, n *Instance) error {
	if in.LifecycleState != oci.StateRunning {
		return nil
	}
	var err error
	n.PublicIP, n.PrivateIP, err = o.c.Addresses(ctx, in.CompartmentID, in.ID)
	return err
}

// hasTags reports whether have carries every tag of want.
func hasTags(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// Instance reads instance id. OCI keeps a terminated instance (TERMINATED) for a while, so
// a 404 is not "gone": it is a read that lags a launch. The compartment's list, which holds
// every instance, is asked then; only an instance missing there too is ErrNotFound.
func (o ociCloud) Instance(ctx context.Context, id string) (*Instance, error) {
	got, err := o.c.GetInstance(ctx, id)
	if isNotFound(err) {
		got, err = o.listed(ctx, id, err)
	}
	if err != nil {
		return nil, err
	}
	in := ociInstance(*got)
	if err := o.addresses(ctx, *got, &in); err != nil {
		return nil, err
	}
	return &in, nil
}

// ociLaunch is the LaunchInstance body of in: the config's availability domain, shape (a
// Flex shape sized by shape_config, default 2 OCPUs and 16 GB), subnet with a public IP,
// boot volume, tags, cloud-init user data and the authorized SSH keys.
func ociLaunch(in createInput, compartment, subnet string) oci.LaunchDetails {
	oc := deref(in.Config.OCI)
	pub := true
	d := oci.LaunchDetails{AvailabilityDomain: oc.AvailabilityDomain, CompartmentID: compartment, Shape: in.Type,
		SourceDetails:     oci.SourceDetails{SourceType: "image", ImageID: in.Image, BootVolumeSizeInGBs: max(in.VolumeGB, 50)},
		CreateVnicDetails: &oci.CreateVnicDetails{SubnetID: subnet, AssignPublicIP: &pub},
		DisplayName:       in.Name, FreeformTags: in.Tags,
		Metadata: map[string]string{"user_data": base64.StdEncoding.EncodeToString([]byte(in.UserData))}}
	if strings.HasSuffix(in.Type, ".Flex") {
		ocpus, mem := ociFlex(oc)
		d.ShapeConfig = &oci.ShapeConfig{OCPUs: float64(ocpus), MemoryInGBs: float64(mem)}
	}
	if oc.SSHAuthorizedKeys != "" {
		d.Metadata["ssh_authorized_keys"] = oc.SSHAuthorizedKeys
	}
	return d
}

func (o ociCloud) Create(ctx context.Context, in createInput) (*Instance, error) {
	if o.subnet == "" {
		return nil, fmt.Errorf("%s: no OCI subnet for the instance: set providers.packer.oci.subnet_ocid, or OCI_SUBNET_OCID on the executor: %w", Name, providers.ErrInvalidSpec)
	}
	got, err := o.c.LaunchInstance(ctx, ociLaunch(in, o.compartment, o.subnet), in.Token)
	if err != nil {
		return nil, err
	}
	out := ociInstance(*got)
	return &out, nil
}

func (o ociCloud) SetTags(ctx context.Context, id string, tags map[string]string) error {
	got, err := o.c.GetInstance(ctx, id)
	if err != nil {
		return err
	}
	merged := maps.Clone(got.FreeformTags)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, tags)
	_, err = o.c.UpdateInstance(ctx, id, oci.UpdateDetails{FreeformTags: merged})
	return err
}

// Stop shuts the OS down (SOFTSTOP: OCI powers the instance off after 15 minutes at most);
// billing of a standard shape's compute ends once it is stopped.
func (o ociCloud) Stop(ctx context.Context, id string) error {
	_, err := o.c.InstanceAction(ctx, id, oci.ActionSoftStop, "")
	return err
}

func (o ociCloud) Start(ctx context.Context, id string) error {
	_, err := o.c.InstanceAction(ctx, id, oci.ActionStart, "")
	return err
}

func (o ociCloud) Terminate(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		if err := o.c.TerminateInstance(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

func (o ociCloud) FindImages(ctx context.Context, q imageQuery) ([]Image, error) {
	var ims []oci.Image
	if len(q.IDs) > 0 {
		for _, id := range q.IDs {
			im, err := o.c.GetImage(ctx, id)
			switch {
			case err == nil:
				ims = append(ims, *im)
			case !isNotFound(err):
				return nil, err
			}
		}
	} else {
		var err error
		if ims, err = o.c.ListImages(ctx, o.compartment); err != nil {
			return nil, err
		}
	}
	var out []Image
	for _, im := range ims {
		if im.LifecycleState == oci.ImageDeleted || !hasTags(im.FreeformTags, q.Tags) ||
			q.Available && im.LifecycleState != oci.ImageAvailable {
			continue
		}
		out = append(out, Image{ID: im.ID, Name: im.DisplayName, Created: im.TimeCreated,
			CreatedText: im.TimeCreated.Format("2006-01-02T15:04:05Z07:00"),
			Available:   im.LifecycleState == oci.ImageAvailable, Tags: maps.Clone(im.FreeformTags)})
	}
	return out, nil
}

func (o ociCloud) DeleteImage(ctx context.Context, im Image) error {
	return o.c.DeleteImage(ctx, im.ID)
}

// ociPlan is cloudPlan on OCI.
type ociPlan struct{}

func (ociPlan) API() string      { return "OCI Core Services" }
func (ociPlan) Resource() string { return "oci_core_instance" }

func (ociPlan) Call(op string, d *desired, arg string) string {
	rg := cmp.Or(d.region, "<OCI_REGION>")
	switch op {
	case opFindImage:
		return fmt.Sprintf("OCI %s GET /20160918/images?compartmentId=<compartment> (freeform tags %s=%s %s=%s, AVAILABLE)",
			rg, LabelImage, d.pc.ImageName, LabelImageConfig, ImageConfigHash(d.pc))
	case opFindInstances:
		return fmt.Sprintf("OCI %s GET /20160918/instances?compartmentId=<compartment> (freeform tags %s=%s %s=%s %s=%s, not TERMINATED)", rg,
			providers.LabelEnv, arg, providers.LabelManagedBy, providers.ManagedByValue, LabelRole, RoleEnvironment)
	case opCreate:
		return fmt.Sprintf("OCI %s POST /20160918/instances shape=%s image=%s (see oci/launch-instance.json)", rg, d.instanceType, arg)
	case opStart:
		return fmt.Sprintf("OCI %s POST /20160918/instances/%s?action=START", rg, arg)
	case opSetTags:
		return fmt.Sprintf("OCI %s PUT /20160918/instances/%s (freeformTags)", rg, arg)
	}
	return fmt.Sprintf("OCI %s GET /20160918/instances/<id> (until RUNNING)", rg)
}

func (ociPlan) Launch(in createInput) map[string]string {
	d := ociLaunch(in, cmp.Or(deref(in.Config.OCI).CompartmentOCID, "<OCI_COMPARTMENT_OCID>"), cmp.Or(deref(in.Config.OCI).SubnetOCID, "<OCI_SUBNET_OCID>"))
	d.Metadata["user_data"] = "<base64 of oci/user-data.yaml>"
	b, _ := json.MarshalIndent(d, "", "  ")
	head := "// LaunchInstance (OCI Core Services 20160918), POST https://iaas.<region>.oraclecloud.com/20160918/instances, signed with an OCI API key; opc-retry-token: " + in.Token + "\n"
	return map[string]string{"oci/launch-instance.json": head + string(b) + "\n", "oci/user-data.yaml": in.UserData}
}

// handleScope is the scope the handle of s records for cloud ("" without one).
func handleScope(s *providers.Spec, cloud config.PackerCloud) string {
	if s == nil {
		return ""
	}
	if h := readHandle(s); h.Cloud == string(cloud) {
		return h.Scope
	}
	return ""
}

// ociFlex is a Flex shape's size: shape_config's OCPUs (at least 1) and memory, default 2
// OCPUs and 16 GB, as the image build uses.
func ociFlex(oc config.PackerOCI) (ocpus, memGB int) {
	ocpus, memGB = ociFlexOCPUs, ociFlexMemoryGBs
	if oc.ShapeConfig != nil {
		ocpus = max(deref(oc.ShapeConfig.OCPUs), 1)
		if m := deref(oc.ShapeConfig.MemoryInGBs); m > 0 {
			memGB = m
		}
	}
	return ocpus, memGB
}
