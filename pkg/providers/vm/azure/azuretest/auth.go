package azuretest

import (
	"net/http"
	"strings"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers/vm/azure"
)

// token is the client-credentials grant of the one service principal the fake knows.
func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		apifake.WriteJSON(w, 400, map[string]string{"error": "invalid_request"})
		return
	}
	for k := range r.PostForm {
		switch k {
		case "grant_type", "client_id", "client_secret", "scope":
		default:
			f.API.Violationf("token: unknown form field %q", k)
		}
	}
	switch {
	case r.PathValue("tenant") != f.opts.Tenant:
		apifake.WriteJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found."})
	case r.PostForm.Get("grant_type") != "client_credentials":
		apifake.WriteJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
	case r.PostForm.Get("scope") != azure.Scope:
		apifake.WriteJSON(w, 400, map[string]string{"error": "invalid_scope"})
	case r.PostForm.Get("client_id") != f.opts.ClientID || r.PostForm.Get("client_secret") != f.opts.ClientSecret:
		apifake.WriteJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
	default:
		tok := "eyJ0eXAiOiJKV1QifQ.fake-" + randomHex(16)
		f.mu.Lock()
		f.tokens[tok] = true
		f.mu.Unlock()
		apifake.WriteJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})
	}
}

// authorized checks the bearer token, the subscription and resource group of the path, and
// the api-version of namespace ns; it answers the error itself when they are wrong.
func (f *Fake) authorized(w http.ResponseWriter, r *http.Request, ns string) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	known := ok && f.tokens[tok]
	f.mu.Unlock()
	switch {
	case !known:
		f.API.Violationf("%s %s: missing or unknown bearer token", r.Method, r.URL.Path)
		fail(w, 401, "InvalidAuthenticationToken", "The access token is invalid.")
	case r.PathValue("sub") != f.opts.Subscription:
		fail(w, 404, "SubscriptionNotFound", "The subscription '%s' could not be found.", r.PathValue("sub"))
	case r.PathValue("rg") != "" && r.PathValue("rg") != f.opts.ResourceGroup:
		fail(w, 404, "ResourceGroupNotFound", "Resource group '%s' could not be found.", r.PathValue("rg"))
	case r.URL.Query().Get("api-version") != apiVersions[ns]:
		f.API.Violationf("%s %s: api-version %q, want %q", r.Method, r.URL.Path, r.URL.Query().Get("api-version"), apiVersions[ns])
		fail(w, 400, "InvalidApiVersionParameter", "The api-version '%s' is invalid.", r.URL.Query().Get("api-version"))
	default:
		return true
	}
	return false
}
