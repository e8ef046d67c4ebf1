package kubernetes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/sindri/deploy/v3/pkg/catalog"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// redactedValue stands in for secret values in rendered artifacts.
const redactedValue = "<redacted>"

// manifests are the apply configurations of one environment, in apply order. Each is the
// complete intent of the field manager for its object: fields left out are removed.
type manifests struct {
	namespace  *corev1ac.NamespaceApplyConfiguration // nil unless Deploy creates it
	secret     *corev1ac.SecretApplyConfiguration    // nil without env secrets
	files      *corev1ac.SecretApplyConfiguration    // nil without file secrets
	pull       *corev1ac.SecretApplyConfiguration    // nil without registry credentials
	pvc        *corev1ac.PersistentVolumeClaimApplyConfiguration
	deployment *appsv1ac.DeploymentApplyConfiguration
	service    *corev1ac.ServiceApplyConfiguration
	ingress    *networkingv1ac.IngressApplyConfiguration // nil unless enabled
}

// render builds the manifests. With redacted, secret values are replaced by a placeholder
// (artifacts); createNamespace adds the Namespace.
func (d *desired) render(createNamespace, redacted bool) *manifests {
	m := &manifests{}
	ns := d.Namespace
	meta := d.objectLabels()
	if createNamespace {
		m.namespace = corev1ac.Namespace(ns).
			WithLabels(map[string]string{providers.LabelManagedBy: providers.ManagedByValue}).
			WithAnnotations(map[string]string{annoCreatedFor: d.Env})
	}
	secret := func(name string, typ corev1.SecretType, data map[string][]byte) *corev1ac.SecretApplyConfiguration {
		s := corev1ac.Secret(name, ns).WithLabels(meta).WithType(typ)
		if redacted {
			str := map[string]string{}
			for k := range data {
				str[k] = redactedValue
			}
			return s.WithStringData(str)
		}
		return s.WithData(data)
	}
	if len(d.secrets) > 0 {
		m.secret = secret(secretName(d.Env), corev1.SecretTypeOpaque, bytesMap(d.secrets))
	}
	if len(d.files) > 0 {
		m.files = secret(filesSecretName(d.Env), corev1.SecretTypeOpaque, bytesMap(d.files))
	}
	if d.PullSecret != "" {
		m.pull = secret(pullSecretName(d.Env), corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: d.pullJSON})
	}
	pvc := corev1ac.PersistentVolumeClaimSpec().
		WithAccessModes(corev1.ReadWriteOnce).
		WithResources(corev1ac.VolumeResourceRequirements().WithRequests(corev1.ResourceList{
			corev1.ResourceStorage: resource.MustParse(d.VolumeSize)}))
	if d.StorageClass != "" {
		pvc = pvc.WithStorageClassName(d.StorageClass)
	}
	m.pvc = corev1ac.PersistentVolumeClaim(pvcName(d.Env), ns).WithLabels(meta).WithSpec(pvc)
	m.deployment = d.deployment(meta)
	svc := corev1ac.ServiceSpec().WithType(corev1.ServiceTypeClusterIP).WithSelector(selector(d.Env)).
		WithPorts(corev1ac.ServicePort().WithName("ssh").WithProtocol(corev1.ProtocolTCP).WithPort(servicePort).WithTargetPort(intstr.FromString("ssh")))
	if d.Ingress != nil {
		svc = svc.WithPorts(corev1ac.ServicePort().WithName("http").WithProtocol(corev1.ProtocolTCP).WithPort(80).WithTargetPort(intstr.FromString("http")))
		m.ingress = d.ingress(meta)
	}
	m.service = corev1ac.Service(serviceName(d.Env), ns).WithLabels(meta).WithSpec(svc)
	return m
}

// objectLabels are the labels of every object but the namespace.
func (d *desired) objectLabels() map[string]string { return maps.Clone(d.Labels) }

// deployment is the Deployment: one replica, Recreate (the home volume is ReadWriteOnce: an
// old and a new pod on two nodes could not both mount it), requests equal to limits.
func (d *desired) deployment(meta map[string]string) *appsv1ac.DeploymentApplyConfiguration {
	res := corev1.ResourceList{
		corev1.ResourceMemory: resource.MustParse(d.Memory),
		corev1.ResourceCPU:    resource.MustParse(d.CPU),
	}
	pod := corev1ac.PodSpec()
	if d.GPU > 0 {
		gpu := corev1.ResourceName(d.GPUResource)
		res[gpu] = *resource.NewQuantity(int64(d.GPU), resource.DecimalSI)
		pod = pod.WithTolerations(corev1ac.Toleration().WithKey(d.GPUResource).
			WithOperator(corev1.TolerationOpExists).WithEffect(corev1.TaintEffectNoSchedule))
		if len(d.NodeSelector) > 0 {
			pod = pod.WithNodeSelector(maps.Clone(d.NodeSelector))
		}
		if len(d.GPUProducts) > 0 {
			// A model is one of several products (A100 SXM4 or PCIe): node affinity takes a
			// list where a node selector takes one value.
			pod = pod.WithAffinity(corev1ac.Affinity().WithNodeAffinity(corev1ac.NodeAffinity().
				WithRequiredDuringSchedulingIgnoredDuringExecution(corev1ac.NodeSelector().WithNodeSelectorTerms(
					corev1ac.NodeSelectorTerm().WithMatchExpressions(corev1ac.NodeSelectorRequirement().
						WithKey(catalog.KubernetesGPUProductLabel).WithOperator(corev1.NodeSelectorOpIn).WithValues(d.GPUProducts...))))))
		}
	}
	c := corev1ac.Container().WithName(containerName).WithImage(d.Image).
		WithImagePullPolicy(corev1.PullPolicy(d.PullPolicy)).
		WithResources(corev1ac.ResourceRequirements().WithLimits(res).WithRequests(maps.Clone(res))).
		WithPorts(corev1ac.ContainerPort().WithName("ssh").WithContainerPort(sshdPort).WithProtocol(corev1.ProtocolTCP)).
		WithVolumeMounts(corev1ac.VolumeMount().WithName("home").WithMountPath(homePath)).
		WithStdin(true).WithTTY(true)
	if d.Ingress != nil {
		c = c.WithPorts(corev1ac.ContainerPort().WithName("http").WithContainerPort(d.Ingress.Port).WithProtocol(corev1.ProtocolTCP))
	}
	for _, k := range slices.Sorted(maps.Keys(d.Environment)) {
		c = c.WithEnv(corev1ac.EnvVar().WithName(k).WithValue(d.Environment[k]))
	}
	if len(d.secrets) > 0 {
		c = c.WithEnvFrom(corev1ac.EnvFromSource().WithSecretRef(corev1ac.SecretEnvSource().WithName(secretName(d.Env))))
	}
	pod = pod.WithVolumes(corev1ac.Volume().WithName("home").
		WithPersistentVolumeClaim(corev1ac.PersistentVolumeClaimVolumeSource().WithClaimName(pvcName(d.Env))))
	if len(d.Files) > 0 {
		src := corev1ac.SecretVolumeSource().WithSecretName(filesSecretName(d.Env))
		for _, f := range d.Files {
			src = src.WithItems(corev1ac.KeyToPath().WithKey(f.Key).WithPath(f.Key).WithMode(f.Mode))
			c = c.WithVolumeMounts(corev1ac.VolumeMount().WithName("secret-files").WithMountPath(f.Path).WithSubPath(f.Key).WithReadOnly(true))
		}
		pod = pod.WithVolumes(corev1ac.Volume().WithName("secret-files").WithSecret(src))
	}
	if d.PullSecret != "" {
		pod = pod.WithImagePullSecrets(corev1ac.LocalObjectReference().WithName(pullSecretName(d.Env)))
	}
	pod = pod.WithContainers(c)
	podLabels := selector(d.Env)
	podLabels[providers.LabelManagedBy] = providers.ManagedByValue
	podLabels[providers.LabelEnv] = d.Env
	annotations := maps.Clone(d.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[annoConfigHash] = d.hash()
	maps.Copy(annotations, d.volatile)
	return appsv1ac.Deployment(deploymentName(d.Env), d.Namespace).WithLabels(meta).WithAnnotations(annotations).
		WithSpec(appsv1ac.DeploymentSpec().
			WithReplicas(1).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(selector(d.Env))).
			WithStrategy(appsv1ac.DeploymentStrategy().WithType(appsv1.RecreateDeploymentStrategyType)).
			WithTemplate(corev1ac.PodTemplateSpec().
				WithLabels(podLabels).
				WithAnnotations(map[string]string{annoPodHash: d.podHash()}).
				WithSpec(pod)))
}

// ingress routes the host (every host when none is set) to the Service's http port.
func (d *desired) ingress(meta map[string]string) *networkingv1ac.IngressApplyConfiguration {
	rule := networkingv1ac.IngressRule().WithHTTP(networkingv1ac.HTTPIngressRuleValue().WithPaths(
		networkingv1ac.HTTPIngressPath().WithPath("/").WithPathType(networkingv1.PathTypePrefix).
			WithBackend(networkingv1ac.IngressBackend().WithService(networkingv1ac.IngressServiceBackend().
				WithName(serviceName(d.Env)).WithPort(networkingv1ac.ServiceBackendPort().WithName("http"))))))
	if d.Ingress.Host != "" {
		rule = rule.WithHost(d.Ingress.Host)
	}
	spec := networkingv1ac.IngressSpec().WithRules(rule)
	if d.Ingress.Class != "" {
		spec = spec.WithIngressClassName(d.Ingress.Class)
	}
	return networkingv1ac.Ingress(ingressName(d.Env), d.Namespace).WithLabels(meta).WithSpec(spec)
}

// secretApplies are the Secrets to apply, in order.
func (m *manifests) secretApplies() []*corev1ac.SecretApplyConfiguration {
	var out []*corev1ac.SecretApplyConfiguration
	for _, s := range []*corev1ac.SecretApplyConfiguration{m.secret, m.files, m.pull} {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// objects returns the manifests in apply order.
func (m *manifests) objects() []any {
	var out []any
	add := func(ok bool, o any) {
		if ok {
			out = append(out, o)
		}
	}
	add(m.namespace != nil, m.namespace)
	add(m.secret != nil, m.secret)
	add(m.files != nil, m.files)
	add(m.pull != nil, m.pull)
	add(true, m.pvc)
	add(true, m.deployment)
	add(true, m.service)
	add(m.ingress != nil, m.ingress)
	return out
}

// yaml renders the manifests as one multi-document YAML file (the manifests.yaml artifact).
func (m *manifests) yaml() (string, error) {
	var buf bytes.Buffer
	for i, o := range m.objects() {
		j, err := json.Marshal(o)
		if err != nil {
			return "", fmt.Errorf("kubernetes: render manifests: %w", err)
		}
		y, err := yaml.JSONToYAML(j)
		if err != nil {
			return "", fmt.Errorf("kubernetes: render manifests: %w", err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(y)
	}
	return buf.String(), nil
}

func bytesMap(m map[string]string) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = []byte(v)
	}
	return out
}

func nameOf(s *corev1ac.SecretApplyConfiguration) *string {
	if s == nil {
		return nil
	}
	return s.Name
}
