package gcetest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers/vm/gce"
)

// token is the OAuth2 token endpoint: a jwt-bearer grant whose assertion is signed RS256 by
// the fake's key, for the compute scope, addressed to this endpoint, not expired.
func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		fail(w, 400, "invalid_request", "form: %v", err)
		return
	}
	for k := range r.PostForm {
		if k != "grant_type" && k != "assertion" {
			f.API.Violationf("token: unknown form field %q", k)
		}
	}
	if r.PostForm.Get("grant_type") != gce.GrantType {
		apifake.WriteJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if why := f.checkJWT(r.PostForm.Get("assertion")); why != "" {
		apifake.WriteJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": why})
		return
	}
	tok := "ya29.fake-" + randomHex(16)
	f.mu.Lock()
	f.tokens[tok] = true
	f.mu.Unlock()
	apifake.WriteJSON(w, 200, map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
}

func (f *Fake) checkJWT(jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "assertion is not a JWT"
	}
	enc := base64.RawURLEncoding
	var header struct {
		Alg, Typ, Kid string
	}
	hb, err1 := enc.DecodeString(parts[0])
	cb, err2 := enc.DecodeString(parts[1])
	sig, err3 := enc.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &header) != nil || header.Alg != "RS256" {
		return "bad JWT header or encoding"
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&f.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return "Invalid JWT Signature."
	}
	var c gce.Claims
	if json.Unmarshal(cb, &c) != nil {
		return "bad claims"
	}
	now := time.Now().Unix()
	switch {
	case c.Iss != f.email:
		return "unknown issuer"
	case c.Aud != f.URL+"/token":
		return "wrong audience"
	case c.Scope != gce.Scope:
		return "wrong scope"
	case c.Exp <= now || c.Iat > now+60 || c.Exp-c.Iat > 3600:
		return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe"
	}
	return ""
}

// authorized checks the bearer token and the project and zone of the path; it answers the
// error itself when they are not.
func (f *Fake) authorized(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	known := ok && f.tokens[tok]
	f.mu.Unlock()
	if !known {
		f.API.Violationf("%s %s: missing or unknown bearer token", r.Method, r.URL.Path)
		fail(w, 401, "authError", "Request had invalid authentication credentials.")
		return false
	}
	if r.PathValue("project") != f.opts.Project {
		fail(w, 403, "forbidden", "Permission denied on project %s", r.PathValue("project"))
		return false
	}
	if z := r.PathValue("zone"); z != "" && z != f.opts.Zone {
		fail(w, 400, "invalid", "Invalid value for field 'zone': '%s'", z)
		return false
	}
	return true
}
