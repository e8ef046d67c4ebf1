// Package deploy holds the operator's packaging of the executor (Kubernetes manifests, a
// systemd unit, Prometheus alert rules) and, in its tests, the checks that keep them loadable:
// strict decoding, a server-side dry-run on a real kube-apiserver, systemd-analyze verify.
package deploy_test
