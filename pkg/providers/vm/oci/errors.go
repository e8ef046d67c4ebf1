package oci

import (
	"net/http"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// codeCauses maps OCI error codes onto the providers sentinels that say what they mean; the
// one place this package decides (the status already gives 404, 409, 401 and 429/5xx their
// meaning, see providers.APIError).
var codeCauses = map[string]error{
	"NotAuthenticated":                       providers.ErrAuth,
	"NotAuthorizedOrNotFound":                providers.ErrNotFound,
	"NotFound":                               providers.ErrNotFound,
	"LimitExceeded":                          providers.ErrQuota,
	"QuotaExceeded":                          providers.ErrQuota,
	"IncorrectState":                         providers.ErrConflict,
	"Conflict":                               providers.ErrConflict,
	"NotAuthorizedOrResourceAlreadyExists":   providers.ErrConflict,
	"TooManyRequests":                        providers.ErrUnavailable,
	"InternalServerError":                    providers.ErrUnavailable,
	"ServiceUnavailable":                     providers.ErrUnavailable,
	"InvalidParameter":                       providers.ErrInvalidSpec,
	"MissingParameter":                       providers.ErrInvalidSpec,
	"CannotParseRequest":                     providers.ErrInvalidSpec,
	"RelatedResourceNotAuthorizedOrNotFound": providers.ErrInvalidSpec,
}

// messageCauses are the answers OCI gives one generic code for, told apart only by their
// message: the one exception to deciding by code. A launch with no capacity left for the
// shape in the availability domain is a 500 InternalError "Out of host capacity.", which no
// retry of the same launch fixes soon.
var messageCauses = []struct {
	code, text string
	cause      error
}{
	{"InternalError", "Out of host capacity", providers.ErrCapacity},
}

// Cause returns the sentinel an OCI error code (and, for the codes of messageCauses, its
// message) means, or nil.
func Cause(code, message string) error {
	for _, m := range messageCauses {
		if code == m.code && strings.Contains(message, m.text) {
			return m.cause
		}
	}
	return codeCauses[code]
}

// decode reads OCI's error body {"code", "message"}.
func decode(status int, h http.Header, body []byte) (code, message string, cause error) {
	code, message, _ = rest.DecodeError(status, h, body)
	return code, message, Cause(code, message)
}
