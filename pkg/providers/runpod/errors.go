package runpod

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sindri/deploy/v3/pkg/catalog"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// platformMessages are the one place error text is read: RunPod states capacity and balance
// failures only in prose, under statuses that also carry other meanings (shared/spec
// A11). The texts are matched in lower case. A wrong GPU id answers with the capacity text too.
var platformMessages = []struct {
	text  string
	cause error
}{
	{"no longer any instances available", providers.ErrCapacity},
	{"not enough free gpus", providers.ErrCapacity},
	{"no instances available", providers.ErrCapacity},
	{"insufficient balance", providers.ErrQuota},
	{"not enough balance", providers.ErrQuota},
	{"quota", providers.ErrQuota},
}

// decodeError reads RunPod error bodies: REST v2's RFC 9457 {title, status, detail, errors}
// and v1's {"message"} (rest.DecodeError knows both), adding the validation errors of v2 and
// the cause the message implies. An account limit may also come as 402.
func decodeError(status int, h http.Header, body []byte) (code, message string, cause error) {
	code, message, _ = rest.DecodeError(status, h, body)
	var b struct {
		Errors []string `json:"errors"`
	}
	if jsonErr := json.Unmarshal(body, &b); jsonErr == nil && len(b.Errors) > 0 {
		message += " (" + strings.Join(b.Errors, "; ") + ")"
	}
	lower := strings.ToLower(message)
	for _, m := range platformMessages {
		if strings.Contains(lower, m.text) {
			return code, message, m.cause
		}
	}
	if status == http.StatusPaymentRequired {
		return code, message, providers.ErrQuota
	}
	return code, message, nil
}

// explain adds the fix to an error from creating or starting pod spec s: which GPU or data
// centre was refused, and what to choose instead. The sentinel stays matchable.
func explain(err error, s podSpec) error {
	if err == nil {
		return nil
	}
	var ae *providers.APIError
	isAPI := errors.As(err, &ae)
	switch {
	case errors.Is(err, providers.ErrCapacity) && s.GPU != nil && !catalog.IsRunPodGPU(s.GPU.ID):
		fix := "set deployment.resources.gpu.tier (" + strings.Join(catalog.RunPodTiers(), ", ") + ") or an exact providers.runpod.gpuTypeId"
		if near := config.NearRunPodGPUs(s.GPU.ID); len(near) > 0 {
			fix = fmt.Sprintf("did you mean %q? set providers.runpod.gpuTypeId to it", near[0])
		}
		return fmt.Errorf("%w; GPU type %q is not a RunPod GPU id, and RunPod answers a wrong id as if no capacity were left: %s", err, s.GPU.ID, fix)
	case errors.Is(err, providers.ErrCapacity) && s.GPU != nil:
		return fmt.Errorf("%w; no %d x %q free in %s cloud%s: choose another tier or gpuTypeId, another cloudType, or leave providers.runpod.region unset", err, s.GPU.Count, s.GPU.ID, s.Cloud, where(s))
	case isAPI && (ae.Status == http.StatusBadRequest || ae.Status == http.StatusUnprocessableEntity) && len(s.DataCenters) > 0 &&
		strings.Contains(strings.ToLower(ae.Message), "data center"):
		return fmt.Errorf("%w; fix: set providers.runpod.region to one of %s, or leave it unset", err, strings.Join(catalog.RunPodDataCenters, ", "))
	case errors.Is(err, providers.ErrAuth) && isAPI && ae.Status == http.StatusForbidden:
		return fmt.Errorf("%w; fix: the RUNPOD_API_KEY is valid but lacks access: give it the All scope (not Read Only or Restricted)", err)
	case errors.Is(err, providers.ErrAuth):
		return fmt.Errorf("%w; fix: set a valid RUNPOD_API_KEY in the executor's environment or its provider \"runpod\" block", err)
	case errors.Is(err, providers.ErrQuota):
		return fmt.Errorf("%w; fix: add credit or raise the account's limits in the RunPod console, or destroy environments you no longer need", err)
	}
	return err
}

func where(s podSpec) string {
	if len(s.DataCenters) == 0 {
		return ""
	}
	return " in " + strings.Join(s.DataCenters, ", ")
}
