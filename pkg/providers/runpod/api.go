package runpod

import (
	"context"
	"time"
)

// api is the RunPod REST surface the provider uses, in the provider's own terms. Each API
// version is one implementation (apiV2 today); only it knows paths, body shapes and the list
// envelope, so a version change replaces that one file.
type api interface {
	// list returns every pod of the account; names are not unique and there are no labels,
	// so callers filter by name and the SINDRI_ENV marker themselves.
	list(ctx context.Context) ([]pod, error)
	// get returns one pod; a pod that does not exist is an error matching ErrNotFound.
	get(ctx context.Context, id string) (pod, error)
	// create makes a pod. recover is called when the answer was lost or ambiguous (a 5xx can
	// follow a successful create) and reports whether the pod exists after all, filling
	// what the caller reads.
	create(ctx context.Context, s podSpec, recover func(context.Context) (bool, error)) (pod, error)
	// update changes a pod in place (the platform resets its container).
	update(ctx context.Context, id string, s podSpec) (pod, error)
	// act starts or stops a pod.
	act(ctx context.Context, id string, a podAction) error
	// terminate removes a pod; a pod already gone is an error matching ErrNotFound.
	terminate(ctx context.Context, id string) error
	// logs returns the last n lines the pod's container and host wrote, when the API offers them.
	logs(ctx context.Context, id string, n int) ([]string, error)
	// createBody is the JSON body create sends for s, for the plan's artifact.
	createBody(s podSpec) any
	// interruptible reports whether this API version can ask for a spot pod.
	interruptible() bool
}

// podAction is a lifecycle transition.
type podAction string

const (
	actionStart podAction = "start"
	actionStop  podAction = "stop"
)

// pod is what the provider reads of a pod, whatever the API version.
type pod struct {
	ID     string
	Name   string
	Image  string
	Status podStatus
	Env    map[string]string
	// PublicIP and PortMappings (private port → public port, TCP) are empty until the
	// container runs, and change after every stop and start: never cache them.
	PublicIP     string
	PortMappings map[int]int
	// ProxySSHUser is the SSH proxy's routing user (<podId>-<hex>), when the API says.
	ProxySSHUser string
	Ports        []string
	GPUID        string
	GPUCount     int
	Cloud        string
	CostPerHr    float64
	CreatedAt    *time.Time
	StartedAt    *time.Time
}

// podSpec is the pod the provider asks for, whatever the API version.
type podSpec struct {
	Name          string
	Image         string
	GPU           *gpuSpec
	CPU           *cpuSpec
	Cloud         string
	DiskGB        int
	VolumeGB      int
	VolumePath    string
	Ports         []string
	Env           map[string]string
	DataCenters   []string
	Interruptible bool
	StartSSH      bool
}

type gpuSpec struct {
	ID    string
	Count int
}

type cpuSpec struct {
	Flavor string
	VCPUs  int
}
