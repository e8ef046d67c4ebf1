package ec2

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// errorBody is EC2's error answer.
type errorBody struct {
	Errors []struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Errors>Error"`
	RequestID string `xml:"RequestID"`
}

// codeCauses maps EC2 error codes onto the providers sentinels that say what they mean; the
// one place this package decides. Codes ending in .NotFound (and InvalidAMIID.Unavailable,
// an AMI deregistered) are ErrNotFound, .Malformed ErrInvalidSpec.
var codeCauses = map[string]error{
	"AuthFailure":                  providers.ErrAuth,
	"UnauthorizedOperation":        providers.ErrAuth,
	"SignatureDoesNotMatch":        providers.ErrAuth,
	"InvalidClientTokenId":         providers.ErrAuth,
	"RequestExpired":               providers.ErrAuth,
	"OptInRequired":                providers.ErrAuth,
	"Blocked":                      providers.ErrAuth,
	"InstanceLimitExceeded":        providers.ErrQuota,
	"VcpuLimitExceeded":            providers.ErrQuota,
	"ResourceLimitExceeded":        providers.ErrQuota,
	"InsufficientInstanceCapacity": providers.ErrCapacity,
	"InsufficientHostCapacity":     providers.ErrCapacity,
	"Unsupported":                  providers.ErrCapacity,
	"IncorrectInstanceState":       providers.ErrConflict,
	"IdempotentParameterMismatch":  providers.ErrConflict,
	"RequestLimitExceeded":         providers.ErrUnavailable,
	"Throttling":                   providers.ErrUnavailable,
	"ServiceUnavailable":           providers.ErrUnavailable,
	"InternalError":                providers.ErrUnavailable,
	"InvalidAMIID.Unavailable":     providers.ErrNotFound,
	"InvalidParameterValue":        providers.ErrInvalidSpec,
	"InvalidParameterCombination":  providers.ErrInvalidSpec,
	"MissingParameter":             providers.ErrInvalidSpec,
	"UnknownParameter":             providers.ErrInvalidSpec,
	"InvalidAction":                providers.ErrInvalidSpec,
}

// Cause returns the sentinel an EC2 error code means, or nil.
func Cause(code string) error {
	if c, ok := codeCauses[code]; ok {
		return c
	}
	switch {
	case strings.HasSuffix(code, ".NotFound"):
		return providers.ErrNotFound
	case strings.HasSuffix(code, ".Malformed"):
		return providers.ErrInvalidSpec
	}
	return nil
}

// decode is the rest client's error decoder for EC2's XML errors; a body that is not one
// (a proxy's page) is taken as text.
func decode(_ int, _ http.Header, body []byte) (code, message string, cause error) {
	var b errorBody
	if err := xml.Unmarshal(body, &b); err != nil || len(b.Errors) == 0 {
		return "", strings.TrimSpace(string(body)), nil
	}
	e := b.Errors[0]
	return e.Code, e.Message, Cause(e.Code)
}
