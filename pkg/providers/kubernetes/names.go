package kubernetes

import (
	"regexp"
	"time"
)

// Fixed names and values of the container contract (contract §1.9) and this provider.
const (
	containerName = "sindri"
	homePath      = "/alt/home/developer"
	sshdPort      = 2222
	servicePort   = 22
	// labelApp and labelInstance make the selector: fixed at create (it is immutable).
	labelApp       = "app.kubernetes.io/name"
	labelInstance  = "app.kubernetes.io/instance"
	appValue       = "sindri"
	annoPodHash    = "sindri.dev/pod-hash"
	annoConfigHash = "sindri.dev/config-hash"
	// annoCreatedFor marks a namespace this provider created (its value: the first env).
	annoCreatedFor = "sindri.dev/namespace-created-for"
)

func deploymentName(env string) string  { return env }
func serviceName(env string) string     { return env }
func ingressName(env string) string     { return env }
func pvcName(env string) string         { return env + "-home-pvc" }
func secretName(env string) string      { return env + "-secrets" }
func pullSecretName(env string) string  { return env + "-registry" }
func filesSecretName(env string) string { return env + "-files" }

var labelValueRE = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)

// validLabel is a DNS-1123 label: a namespace or an env name.
func validLabel(s string) bool {
	return len(s) > 0 && len(s) <= 63 && dnsLabelRE.MatchString(s)
}

var dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// validLabelValue is a value a Kubernetes label can hold.
func validLabelValue(s string) bool { return len(s) <= 63 && labelValueRE.MatchString(s) }

func secondsDuration(s int) time.Duration { return time.Duration(s) * time.Second }
