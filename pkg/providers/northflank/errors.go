package northflank

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sindri/deploy/v3/pkg/catalog"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// quotaCodes are the error codes that mean an account limit (UNVERIFIED: the docs give status
// text only; these are the fake's and the likeliest spellings), matched as substrings.
var quotaCodes = []string{"quota", "limit-exceeded", "insufficient-credit", "payment-required"}

// decodeError reads Northflank error bodies: {"error":{"status","code","message"}} (the JS
// client's shape) and a top-level {"status","code","message"} (the swagger's 409 model);
// rest.DecodeError knows both. 402 and the quota codes mean ErrQuota, 400 (validation)
// ErrInvalidSpec; the status alone decides everything else (providers.APIError.Is).
func decodeError(status int, h http.Header, body []byte) (code, message string, cause error) {
	code, message, _ = rest.DecodeError(status, h, body)
	lower := strings.ToLower(code)
	for _, q := range quotaCodes {
		if strings.Contains(lower, q) {
			return code, message, providers.ErrQuota
		}
	}
	switch status {
	case http.StatusPaymentRequired:
		return code, message, providers.ErrQuota
	case http.StatusBadRequest:
		return code, message, providers.ErrInvalidSpec // validation: the same body fails again
	}
	return code, message, nil
}

// explain adds the fix to err for the failures a user can act on: credentials, quota, a name
// taken by something that is not ours, a region or plan the platform refuses, an image it
// cannot verify. The APIError inside already names the status and the request id.
func explain(err error, d *desired) error {
	var ae *providers.APIError
	isAPI := errors.As(err, &ae)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, providers.ErrAuth) && isAPI && ae.Status == http.StatusForbidden:
		return fmt.Errorf("%w; fix: the NORTHFLANK_API_TOKEN is valid but its API role lacks a permission: give it Project > General, Services, Volumes (create, update, delete) on the team", err)
	case errors.Is(err, providers.ErrAuth):
		return fmt.Errorf("%w; fix: set a valid NORTHFLANK_API_TOKEN (a team API token) in the executor's environment or its provider \"northflank\" block", err)
	case errors.Is(err, providers.ErrQuota):
		return fmt.Errorf("%w; fix: add credits or raise the team's limits in the Northflank billing page, or destroy environments you no longer need", err)
	case !isAPI || d == nil:
		return err
	case ae.Status == http.StatusBadRequest && d.region != "" && strings.Contains(strings.ToLower(ae.Message), "region"):
		return fmt.Errorf("%w; fix: set providers.northflank.region to one of %s (region %q does not exist%s)", err,
			strings.Join(catalog.NorthflankRegions, ", "), d.region, gpuRegions(d))
	case ae.Status == http.StatusBadRequest && strings.Contains(strings.ToLower(ae.Message), "image"):
		return fmt.Errorf("%w; fix: Northflank checks the image %s when the service is created: make it public, or save registry credentials in Northflank and name them in providers.northflank.registryCredentials", err, d.image)
	}
	return err
}

func gpuRegions(d *desired) string {
	if d.gpu == nil {
		return ""
	}
	g, _ := catalog.NorthflankGPUTypeByID(d.gpu.Configuration.GPUType)
	return "; " + g.ID + " is offered in " + strings.Join(g.Regions, ", ")
}

// conflictError is the refusal of an object of our derived name that is not ours; cause is
// the create's 409, which names the status and the request id.
func conflictError(kind, id, where string, cause error) error {
	fix := "rename or remove it, or set providers.northflank.serviceName to another prefix"
	if kind == "project" {
		fix = "rename or remove that project, or name a project of yours in providers.northflank.projectName"
	}
	return fmt.Errorf("%w; %s %s%s exists and was not made by sindri for this environment; fix: %s", cause, kind, id, where, fix)
}
