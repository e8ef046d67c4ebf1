package northflank

import "time"

// Wire types of the Northflank REST API v1 (shared/spec/provider-apis/runpod-northflank.md
// B1-B6). Request types carry exactly the fields Sindri sends, so the strict fake refuses a
// misspelt one; response types read what the provider uses and ignore the rest.

type projectBody struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Region      string `json:"region,omitempty"`
}

// project is GET /projects/{id} (region under deployment) or the create answer (region at
// the top).
type project struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Region      string `json:"region"`
	Deployment  *struct {
		Region string `json:"region"`
	} `json:"deployment"`
}

func (p project) region() string {
	if p.Deployment != nil && p.Deployment.Region != "" {
		return p.Deployment.Region
	}
	return p.Region
}

type gpuConfig struct {
	GPUType  string `json:"gpuType"`
	GPUCount int    `json:"gpuCount"`
}

type gpuBlock struct {
	Enabled       bool      `json:"enabled"`
	Configuration gpuConfig `json:"configuration"`
}

type billing struct {
	DeploymentPlan string `json:"deploymentPlan"`
}

type external struct {
	ImagePath   string `json:"imagePath"`
	Credentials string `json:"credentials,omitempty"`
}

type dockerConfig struct {
	ConfigType string `json:"configType"`
}

type sshConfig struct {
	Enabled bool `json:"enabled"`
}

type deploymentSpec struct {
	Instances int          `json:"instances"`
	External  external     `json:"external"`
	Docker    dockerConfig `json:"docker"`
	GPU       *gpuBlock    `json:"gpu,omitempty"`
	SSH       sshConfig    `json:"ssh"`
}

type port struct {
	Name         string `json:"name"`
	InternalPort int    `json:"internalPort"`
	Public       bool   `json:"public"`
	Protocol     string `json:"protocol"`
}

type healthCheck struct {
	Protocol            string `json:"protocol"`
	Type                string `json:"type"`
	Path                string `json:"path,omitempty"`
	Cmd                 string `json:"cmd,omitempty"`
	Port                int    `json:"port,omitempty"`
	InitialDelaySeconds int    `json:"initialDelaySeconds"`
	PeriodSeconds       int    `json:"periodSeconds"`
	TimeoutSeconds      int    `json:"timeoutSeconds"`
	FailureThreshold    int    `json:"failureThreshold"`
	SuccessThreshold    int    `json:"successThreshold"`
}

type threshold struct {
	Enabled             bool `json:"enabled"`
	ThresholdPercentage int  `json:"thresholdPercentage"`
}

type horizontal struct {
	Enabled     bool      `json:"enabled"`
	MinReplicas int       `json:"minReplicas"`
	MaxReplicas int       `json:"maxReplicas"`
	CPU         threshold `json:"cpu"`
	Memory      threshold `json:"memory"`
}

type autoscaling struct {
	Horizontal horizontal `json:"horizontal"`
}

type runtimeFile struct {
	Data     string `json:"data"`
	Encoding string `json:"encoding"`
}

type createOptions struct {
	VolumesToAttach []string `json:"volumesToAttach,omitempty"`
}

// serviceBody is the body of POST /projects/{p}/services/deployment.
type serviceBody struct {
	Name string `json:"name"`
	serviceSettings
	CreateOptions *createOptions `json:"createOptions,omitempty"`
}

// serviceSettings is what PATCH /projects/{p}/services/deployment/{s} changes in place.
type serviceSettings struct {
	Description        string                 `json:"description"`
	Tags               []string               `json:"tags"`
	Billing            billing                `json:"billing"`
	Deployment         deploymentSpec         `json:"deployment"`
	Ports              []port                 `json:"ports"`
	RuntimeEnvironment map[string]string      `json:"runtimeEnvironment"`
	RuntimeFiles       map[string]runtimeFile `json:"runtimeFiles,omitempty"`
	HealthChecks       []healthCheck          `json:"healthChecks"`
	Autoscaling        *autoscaling           `json:"autoscaling,omitempty"`
}

// service is GET /projects/{p}/services/{s} (B4), the fields the provider reads.
type service struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	Tags          []string `json:"tags"`
	ServicePaused bool     `json:"servicePaused"`
	Billing       struct {
		DeploymentPlan string `json:"deploymentPlan"`
	} `json:"billing"`
	Deployment struct {
		Instances int `json:"instances"`
		External  struct {
			ImagePath string `json:"imagePath"`
		} `json:"external"`
		GPU *gpuBlock `json:"gpu"`
	} `json:"deployment"`
	Ports []struct {
		Name         string `json:"name"`
		InternalPort int    `json:"internalPort"`
		Protocol     string `json:"protocol"`
		Public       bool   `json:"public"`
		DNS          string `json:"dns"`
	} `json:"ports"`
	Status struct {
		Deployment struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"deployment"`
	} `json:"status"`
	CreatedAt *time.Time `json:"createdAt"`
	UpdatedAt *time.Time `json:"updatedAt"`
}

type volumeSpec struct {
	AccessMode       string `json:"accessMode"`
	StorageClassName string `json:"storageClassName,omitempty"`
	StorageSize      int    `json:"storageSize"`
}

type mount struct {
	ContainerMountPath string `json:"containerMountPath"`
}

type nfObject struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// volumeBody is the body of POST /projects/{p}/volumes.
type volumeBody struct {
	Name            string     `json:"name"`
	Tags            []string   `json:"tags"`
	Mounts          []mount    `json:"mounts"`
	Spec            volumeSpec `json:"spec"`
	AttachedObjects []nfObject `json:"attachedObjects,omitempty"`
}

type volume struct {
	ID              string     `json:"id"`
	Name            string     `json:"name"`
	Tags            []string   `json:"tags"`
	Spec            volumeSpec `json:"spec"`
	AttachedObjects []nfObject `json:"attachedObjects"`
	Status          string     `json:"status"`
}

type container struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

type logLine struct {
	ContainerID string `json:"containerId"`
	Log         string `json:"log"`
}

type pagination struct {
	HasNextPage bool   `json:"hasNextPage"`
	Cursor      string `json:"cursor"`
}
