package alicloud

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// codeCauses maps ECS error codes onto the providers sentinels that say what they mean; the
// one place this package decides. Besides the table: codes ending .NotFound are ErrNotFound,
// Throttling* ErrUnavailable, QuotaExceed* ErrQuota, Invalid* and Missing* ErrInvalidSpec.
var codeCauses = map[string]error{
	"InvalidAccessKeyId.NotFound":      providers.ErrAuth,
	"InvalidAccessKeyId.Inactive":      providers.ErrAuth,
	"SignatureDoesNotMatch":            providers.ErrAuth,
	"IncompleteSignature":              providers.ErrAuth,
	"SignatureNonceUsed":               providers.ErrAuth,
	"InvalidTimeStamp.Expired":         providers.ErrAuth,
	"InvalidTimeStamp.Format":          providers.ErrAuth,
	"Forbidden":                        providers.ErrAuth,
	"Forbidden.RAM":                    providers.ErrAuth,
	"Forbidden.NotSupportRAM":          providers.ErrAuth,
	"IncorrectInstanceStatus":          providers.ErrConflict,
	"IncorrectImageStatus":             providers.ErrConflict,
	"IncorrectSnapshotStatus":          providers.ErrConflict,
	"IdempotentParameterMismatch":      providers.ErrConflict,
	"OperationDenied.NoStock":          providers.ErrCapacity,
	"Zone.NotOnSale":                   providers.ErrCapacity,
	"InvalidResourceType.NotSupported": providers.ErrCapacity,
	"ServiceUnavailable":               providers.ErrUnavailable,
	"InternalError":                    providers.ErrUnavailable,
	"UnknownError":                     providers.ErrUnavailable,
}

// Cause returns the sentinel an ECS error code means, or nil.
func Cause(code string) error {
	if c, ok := codeCauses[code]; ok {
		return c
	}
	switch {
	case strings.HasSuffix(code, ".NotFound"):
		return providers.ErrNotFound
	case throttled(code):
		return providers.ErrUnavailable
	case strings.HasPrefix(code, "QuotaExceed"):
		return providers.ErrQuota
	case strings.HasPrefix(code, "Invalid"), strings.HasPrefix(code, "Missing"):
		return providers.ErrInvalidSpec
	}
	return nil
}

// errorBody is ECS's error answer.
type errorBody struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
}

// decode reads ECS's JSON error; a body that is not one (a proxy's page) is taken as text.
func decode(_ int, _ http.Header, body []byte) (code, message string, cause error) {
	var b errorBody
	if err := json.Unmarshal(body, &b); err != nil || b.Code == "" {
		return "", strings.TrimSpace(string(body)), nil
	}
	return b.Code, b.Message, Cause(b.Code)
}
