package oci

import (
	"net/http"

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

// Cause returns the sentinel an OCI error code means, or nil.
func Cause(code string) error { return codeCauses[code] }

// decode reads OCI's error body {"code", "message"}.
func decode(status int, h http.Header, body []byte) (code, message string, cause error) {
	code, message, _ = rest.DecodeError(status, h, body)
	return code, message, Cause(code)
}
