//go:build nokubernetes

package builtin

// kubernetesRows is empty in a binary built with -tags nokubernetes (the action image): see
// kubernetes.go.
var kubernetesRows []Entry
