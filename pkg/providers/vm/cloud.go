package vm

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// cloudAPI is what the provider asks of one cloud, in cloud-neutral terms: the environment's
// instance and the images sindri built. Deploy, Status, Stop, Start, Destroy, List, Plan and
// the image jobs talk only to it; each cloud implements it in its own <cloud>conn.go over its
// client package (ec2conn.go over package ec2, ...) and registers a connector (connectors).
//
// Contract, the same on every cloud:
//
//   - Tags are the neutral keys and values (providers.Label*, LabelImage, LabelRole, ...):
//     an implementation whose cloud restricts keys or values (GCP labels, Azure tag names)
//     translates them both ways, so callers always see and pass the neutral ones.
//
//   - Instance states are the normalised inst* constants; Instance.CloudState keeps the
//     cloud's own word for Status details.
//
//   - Errors wrap the providers.Err* kinds (ErrNotFound, ErrAuth, ErrQuota, ErrCapacity,
//     ErrConflict, ErrUnavailable, ErrInvalidSpec), so callers decide with errors.Is;
//     transient failures are already retried by the REST client underneath.
//
//   - Calls that change something are safe to repeat: Create with the same createInput.Token
//     makes one instance where the cloud allows it (EC2 ClientToken, a GCE/Azure instance
//     name), Stop/Start/Terminate/DeleteImage of a resource already there are success.
//
//   - A wait for terminated takes NotFound from Instance as terminated (GCE and Azure forget a
//     deleted instance at once); ErrWorkloadFailed from Create (a launch the cloud reports
//     failed) is logged by Deploy.
//
// A new cloud adds, in an init function of its <cloud>conn.go: connectors[cloud] (the
// cloudAPI of a job, checking its credentials with requireCredentials or
// providers.MissingCredential) and plans[cloud] (its cloudPlan), and optionally implements
// scoped (the handle keeps a project, subscription, compartment, ...) and sweeper (Create
// makes something before the instance). Plan prices come from prices[cloud] when present.
//
// The interface is stable: other clouds (OCI, Alibaba) implement it in their own files.
type cloudAPI interface {
	// Region is where this client works: the AWS/Alibaba/OCI region, GCP zone or Azure
	// location. Handles record it.
	Region() string
	// FindInstances returns the instances that carry every tag of tags and are not
	// terminated (terminating ones included), in any order.
	FindInstances(ctx context.Context, tags map[string]string) ([]Instance, error)
	// Instance returns the instance id; one that does not exist (or no longer does) is an
	// error wrapping providers.ErrNotFound.
	Instance(ctx context.Context, id string) (*Instance, error)
	// Create launches one instance from an image and returns it (usually pending).
	Create(ctx context.Context, in createInput) (*Instance, error)
	// SetTags adds or overwrites tags on instance id (others stay).
	SetTags(ctx context.Context, id string, tags map[string]string) error
	// Stop stops instance id; its disk stays and compute billing ends.
	Stop(ctx context.Context, id string) error
	// Start starts the stopped instance id.
	Start(ctx context.Context, id string) error
	// Terminate deletes the instances ids with their root disks (and whatever Create made
	// for them alone, such as an Azure NIC); ids already gone are success.
	Terminate(ctx context.Context, ids ...string) error
	// FindImages returns the images q asks for: those that carry every tag of q.Tags, among
	// q.IDs when given (an id that does not exist is left out, not an error), only
	// available ones when q.Available.
	FindImages(ctx context.Context, q imageQuery) ([]Image, error)
	// DeleteImage deletes im and its storage (EBS snapshots, ...); gone is success.
	DeleteImage(ctx context.Context, im Image) error
}

// scoped is implemented by a cloudAPI whose instances are found again only within a scope
// of the account besides the region (the GCP project, the Azure subscription and resource
// group): the handle records Scope, and the cloud's connector reads it back from the handle
// (readHandle(s).Scope) when the spec carries no config.
type scoped interface {
	Scope() string
}

// sweeper is implemented by a cloudAPI whose Create makes more than the instance before the
// instance exists (an Azure NIC): Sweep deletes what of env's is left without an instance,
// and Destroy calls it after terminating the instances.
type sweeper interface {
	Sweep(ctx context.Context, env string) error
}

// Normalised instance states (Instance.State).
const (
	instPending     = "pending"     // being created or started
	instRunning     = "running"     // up
	instStopping    = "stopping"    // stopping, billing for compute has ended
	instStopped     = "stopped"     // stopped (AWS stopped, GCE TERMINATED, Azure deallocated)
	instTerminating = "terminating" // being deleted
	instTerminated  = "terminated"  // deleted
)

// Instance is one instance in neutral terms.
type Instance struct {
	ID      string
	ImageID string
	// Type is the instance type, machine type or VM size.
	Type string
	// State is one of the inst* constants; CloudState the cloud's own state name.
	State, CloudState string
	// Reason says why the instance is in its state, when the cloud says ("" else).
	Reason    string
	Launched  time.Time
	PublicIP  string
	PrivateIP string
	// Login says how a user logs in (which key), for the connection instructions.
	Login string
	// Tags are the neutral tags (see cloudAPI).
	Tags map[string]string
}

// Image is one image in neutral terms.
type Image struct {
	ID   string
	Name string
	// Created is when it was made (zero: unknown); CreatedText the cloud's own text of it.
	Created     time.Time
	CreatedText string
	// Available is false while the image is being made or has failed.
	Available bool
	Tags      map[string]string
	// Storage are ids of what DeleteImage removes with the image (EBS snapshots), if any.
	Storage []string
}

// imageQuery is one FindImages call.
type imageQuery struct {
	Tags      map[string]string
	IDs       []string
	Available bool
}

// createInput is one Create call.
type createInput struct {
	// Name is the instance's name (the environment's); Token an idempotency token, fresh
	// per Deploy.
	Name, Token string
	Image       string
	Type        string
	VolumeGB    int
	// UserData is the instance's cloud-init text (never a secret).
	UserData string
	Tags     map[string]string
	// Config is the packer block, for each cloud's own instance settings (subnet, key, ...).
	Config *config.PackerConfig
}

// connector returns the cloudAPI of cloud in region for a job (s may be nil: the executor's
// credentials), or a providers.MissingCredential error naming the variable that is unset.
type connector func(p *Provider, s *providers.Spec, region string) (cloudAPI, error)

// connectors are the clouds this provider runs environments on, registered by each
// <cloud>conn.go in an init function.
var connectors = map[config.PackerCloud]connector{}

// deploys reports whether environments run on cloud (not just images).
func deploys(cloud config.PackerCloud) bool { return connectors[cloud] != nil }

// Deploys reports whether this provider runs environments on cloud and lists and deletes
// its images (the image builds work on every cloud).
func Deploys(cloud config.PackerCloud) bool { return deploys(cloud) }

// deployVars are, by cloud, the variables deploy, image-list and image-delete need besides
// requiredVars (a config's azure.subscription_id stands in for AZURE_SUBSCRIPTION_ID).
var deployVars = map[config.PackerCloud][]string{
	config.CloudGCP:   {gceKeyVar},
	config.CloudAzure: {"AZURE_SUBSCRIPTION_ID", azureSubnetVar, azureSSHKeyVar},
	config.CloudOCI:   ociAPIVars,
}

// DeployVars returns the variables, besides RequiredVars, that deploy, image-list and
// image-delete need on cloud.
func DeployVars(cloud config.PackerCloud) []string { return slices.Clone(deployVars[cloud]) }

// connect returns the cloudAPI of cloud in region; a cloud without a connector is
// ErrUnsupported.
func (p *Provider) connect(s *providers.Spec, cloud config.PackerCloud, region string) (cloudAPI, error) {
	c := connectors[cloud]
	if c == nil {
		return nil, fmt.Errorf("%s: deploying an environment on %s is not implemented (the image jobs work there: image-validate, image-build): %w",
			Name, cloud, providers.ErrUnsupported)
	}
	return c(p, s, region)
}

// Plan operations (cloudPlan.Call).
const (
	opFindImage     = "find-image"     // arg: "" (the image tags are ImageTags(d.pc))
	opFindInstances = "find-instances" // arg: the environment
	opCreate        = "create"         // arg: the image id or a placeholder
	opStart         = "start"          // arg: the instance id
	opSetTags       = "set-tags"       // arg: the instance id
	opWait          = "wait"           // arg: "" (polling the instance until it runs)
)

// cloudPlan shows, without credentials, what a cloud's calls send: Plan's Calls and launch
// artifacts. Each <cloud>conn.go registers one in plans.
type cloudPlan interface {
	// API names the cloud's API in messages ("EC2").
	API() string
	// Resource is the instance's resource type in the plan (Terraform's name for it).
	Resource() string
	// Call is the Plan.Calls line of op (an op* constant) on d with arg.
	Call(op string, d *desired, arg string) string
	// Launch are the Plan artifacts showing what Create sends for in ("<cloud>/<file>").
	Launch(in createInput) map[string]string
}

// plans are the clouds' cloudPlans.
var plans = map[config.PackerCloud]cloudPlan{}
