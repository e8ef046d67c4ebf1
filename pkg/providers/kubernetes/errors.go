package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// forbiddenMessages are the one place the provider reads an API message: the API server
// answers a ResourceQuota refusal with the same 403 Forbidden as an RBAC refusal, and only
// the message tells them apart.
var forbiddenMessages = []struct {
	text string
	err  error
}{
	{"exceeded quota", providers.ErrQuota},
}

// classify is the provider's one error classifier: it turns a client-go error into a
// *providers.APIError (status errors: 404 ErrNotFound, 409 ErrConflict, 401/403 ErrAuth,
// 429/5xx retryable; 422 Invalid also wraps ErrInvalidSpec, a quota refusal ErrQuota) or,
// for a cluster that cannot be reached, an error wrapping ErrUnavailable that names the
// server. Cancellation and deadlines pass through.
func (k *kube) classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("kubernetes: %s: %w", op, err)
	}
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		st := se.Status()
		ae := &providers.APIError{Provider: Name, Op: op, Status: int(st.Code), Code: string(st.Reason), Message: st.Message}
		switch {
		case st.Reason == metav1.StatusReasonInvalid:
			ae.Err = providers.ErrInvalidSpec
		case st.Code == 403:
			for _, m := range forbiddenMessages {
				if strings.Contains(st.Message, m.text) {
					ae.Err = m.err
				}
			}
			if ae.Err == nil {
				ae.Message += " (the kubeconfig's user lacks this RBAC permission; see docs/providers/kubernetes.md#credentials)"
			}
		case st.Reason == metav1.StatusReasonServerTimeout || st.Reason == metav1.StatusReasonTimeout || st.Reason == metav1.StatusReasonTooManyRequests:
			ae.Retryable = true
		}
		if d, ok := apierrors.SuggestsClientDelay(err); ok {
			ae.RetryAfter = secondsDuration(d)
		}
		return ae
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		return fmt.Errorf("kubernetes: %s: cluster %s is unreachable (%w): %v", op, k.server, providers.ErrUnavailable, err)
	}
	return fmt.Errorf("kubernetes: %s: %w", op, err)
}

// isNotFound reports a 404 from the API server (already classified or not).
func isNotFound(err error) bool {
	var ae *providers.APIError
	if errors.As(err, &ae) {
		return ae.Status == 404
	}
	return apierrors.IsNotFound(err)
}
