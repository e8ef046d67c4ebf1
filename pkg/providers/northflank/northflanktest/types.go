package northflanktest

// Request bodies the fake accepts: the fields of the Northflank API reference
// (shared/spec/provider-apis/runpod-northflank.md B2-B6) that a deployment-service client may
// send. apifake.DecodeJSON refuses any other field as a violation.

type projectReq struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Color       string `json:"color"`
	Region      string `json:"region"`
	ClusterID   string `json:"clusterId"`
}

type gpuBlock struct {
	Enabled       bool `json:"enabled"`
	Configuration *struct {
		GPUType    string `json:"gpuType"`
		GPUCount   int    `json:"gpuCount"`
		Timesliced bool   `json:"timesliced"`
	} `json:"configuration"`
}

type deploymentReq struct {
	Instances *int   `json:"instances"`
	Type      string `json:"type"`
	External  *struct {
		ImagePath   string `json:"imagePath"`
		Credentials string `json:"credentials"`
	} `json:"external"`
	Docker *struct {
		ConfigType       string `json:"configType"`
		CustomEntrypoint string `json:"customEntrypoint"`
		CustomCommand    string `json:"customCommand"`
	} `json:"docker"`
	GPU *gpuBlock `json:"gpu"`
	SSH *struct {
		Enabled bool `json:"enabled"`
	} `json:"ssh"`
	GracePeriodSeconds *int `json:"gracePeriodSeconds"`
}

// Port is one service port.
type Port struct {
	Name         string `json:"name"`
	InternalPort int    `json:"internalPort"`
	Public       bool   `json:"public"`
	Protocol     string `json:"protocol"`
}

type healthCheck struct {
	Protocol            string `json:"protocol"`
	Type                string `json:"type"`
	Path                string `json:"path"`
	Cmd                 string `json:"cmd"`
	Port                int    `json:"port"`
	InitialDelaySeconds *int   `json:"initialDelaySeconds"`
	PeriodSeconds       *int   `json:"periodSeconds"`
	TimeoutSeconds      *int   `json:"timeoutSeconds"`
	FailureThreshold    *int   `json:"failureThreshold"`
	SuccessThreshold    int    `json:"successThreshold"`
}

type threshold struct {
	Enabled             bool `json:"enabled"`
	ThresholdPercentage int  `json:"thresholdPercentage"`
}

// Autoscaling is autoscaling.horizontal.
type Autoscaling struct {
	Enabled     bool      `json:"enabled"`
	MinReplicas int       `json:"minReplicas"`
	MaxReplicas int       `json:"maxReplicas"`
	CPU         threshold `json:"cpu"`
	Memory      threshold `json:"memory"`
}

type runtimeFile struct {
	Data     string `json:"data"`
	Encoding string `json:"encoding"`
}

// serviceReq is the create (POST) and patch (PATCH) body of a deployment service.
type serviceReq struct {
	Name        string   `json:"name"`
	Description *string  `json:"description"`
	Tags        []string `json:"tags"`
	Billing     *struct {
		DeploymentPlan string    `json:"deploymentPlan"`
		GPU            *gpuBlock `json:"gpu"`
	} `json:"billing"`
	Deployment         *deploymentReq         `json:"deployment"`
	Ports              []Port                 `json:"ports"`
	RuntimeEnvironment map[string]string      `json:"runtimeEnvironment"`
	RuntimeFiles       map[string]runtimeFile `json:"runtimeFiles"`
	HealthChecks       []healthCheck          `json:"healthChecks"`
	Autoscaling        *struct {
		Horizontal *Autoscaling `json:"horizontal"`
	} `json:"autoscaling"`
	CreateOptions *struct {
		VolumesToAttach []string `json:"volumesToAttach"`
		ExpiryTime      int      `json:"expiryTime"`
	} `json:"createOptions"`
}

type nfObject struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type volumeReq struct {
	Name   string   `json:"name"`
	Tags   []string `json:"tags"`
	Mounts []struct {
		ContainerMountPath string `json:"containerMountPath"`
		VolumeMountPath    string `json:"volumeMountPath"`
	} `json:"mounts"`
	Spec *struct {
		AccessMode       string `json:"accessMode"`
		StorageClassName string `json:"storageClassName"`
		StorageSize      int    `json:"storageSize"`
	} `json:"spec"`
	AttachedObjects []nfObject `json:"attachedObjects"`
}

type resumeReq struct {
	Instances  *int  `json:"instances"`
	DisabledCI *bool `json:"disabledCI"`
	DisabledCD *bool `json:"disabledCD"`
}
