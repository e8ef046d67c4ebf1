package runpod

import (
	"errors"
	"net/http"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// isGone: a pod that is not there any more (404; a TERMINATED pod is checked by pod.gone).
func isGone(err error) bool { return errors.Is(err, providers.ErrNotFound) }

func isCapacity(err error) bool { return errors.Is(err, providers.ErrCapacity) }

// isInvalidTransition: the action does not fit the pod's state now (409), e.g. start on a
// pod that is already running after a lost answer; the caller observes again.
func isInvalidTransition(err error) bool {
	var ae *providers.APIError
	return errors.As(err, &ae) && ae.Status == http.StatusConflict
}
