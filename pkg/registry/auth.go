package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// answer returns the Authorization value that meets one of a 401's WWW-Authenticate
// challenges: a bearer token from the realm of a Bearer challenge, or basic auth for a Basic
// challenge when the host has a Credential; "" when none can be met.
func (s *session) answer(ctx context.Context, challenges []string) (string, error) {
	cred, hasCred := s.c.Credentials[s.repo.Host]
	for _, h := range challenges {
		scheme, params := parseChallenge(h)
		switch {
		case strings.EqualFold(scheme, "Bearer"):
			return s.token(ctx, params, cred, hasCred)
		case strings.EqualFold(scheme, "Basic") && hasCred:
			return basic(cred), nil
		}
	}
	return "", nil
}

// token fetches a bearer token from the challenge's realm (the distribution token protocol).
func (s *session) token(ctx context.Context, params map[string]string, cred Credential, hasCred bool) (string, error) {
	realm, err := url.Parse(params["realm"])
	if err != nil || (realm.Scheme != "https" && realm.Scheme != "http") || realm.Host == "" {
		return "", s.fail("get token", nil, http.StatusUnauthorized, fmt.Errorf("the Bearer challenge names no usable realm (%q)", params["realm"]))
	}
	q := realm.Query()
	if v := params["service"]; v != "" {
		q.Set("service", v)
	}
	scope := params["scope"]
	if scope == "" {
		scope = "repository:" + s.repo.Name + ":pull"
	}
	q.Set("scope", scope)
	realm.RawQuery = q.Encode()
	auth := ""
	if hasCred && s.mayCarryCredential(realm) {
		auth = basic(cred)
	}
	resp, body, err := s.c.send(ctx, s.repo, "get token", realm, auth, maxTokenBytes)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		e := apiError(s.repo, "get token", realm, resp.StatusCode, body)
		if hasCred && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			e.Message += " (the credentials given for " + s.repo.Host + " were refused)"
		}
		return "", e
	}
	var tr struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", s.fail("get token", realm, resp.StatusCode, fmt.Errorf("unreadable token answer: %w", err))
	}
	tok := tr.Token
	if tok == "" {
		tok = tr.AccessToken
	}
	if tok == "" {
		return "", s.fail("get token", realm, resp.StatusCode, errors.New("the token answer holds no token"))
	}
	return "Bearer " + tok, nil
}

// tokenServices names, per registry, the token services that legitimately receive its login
// besides the registry's own API host: Docker Hub's live on another host.
var tokenServices = map[string][]string{DockerHub: {"auth.docker.io"}}

// mayCarryCredential reports whether the login may be sent to realm: only to the registry's
// own API host or a token service it is known to use, and only over TLS unless realm is the
// registry's own plain-HTTP endpoint (a local registry configured as such). A challenge naming
// any other realm (a misconfigured or hostile registry, a redirect elsewhere) gets no
// credential: the token request goes out anonymously.
func (s *session) mayCarryCredential(realm *url.URL) bool {
	base, err := s.c.baseURL(s.repo.APIHost)
	if err != nil {
		return false
	}
	if realm.Scheme == base.Scheme && realm.Host == base.Host {
		return true // the registry's own endpoint, as configured
	}
	if realm.Scheme != "https" {
		return false
	}
	host := realm.Host // with its port: another port on the same machine is another service
	if host == s.repo.APIHost || host == s.repo.Host {
		return true
	}
	for _, h := range tokenServices[s.repo.Host] {
		if host == h {
			return true
		}
	}
	return false
}

func basic(c Credential) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.Username+":"+c.Password))
}

// parseChallenge splits a WWW-Authenticate value (`Bearer realm="...",service="...",scope="..."`)
// into its scheme and lowercased parameter names; quoted values may hold commas.
func parseChallenge(h string) (string, map[string]string) {
	h = strings.TrimSpace(h)
	scheme, rest, _ := strings.Cut(h, " ")
	params := map[string]string{}
	for rest = strings.TrimSpace(rest); rest != ""; {
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			break
		}
		key := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimSpace(rest[eq+1:])
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			val, rest = b.String(), rest[min(i+1, len(rest)):]
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			val, rest = strings.TrimSpace(rest[:end]), rest[end:]
		}
		params[key] = val
		rest = strings.TrimLeft(strings.TrimSpace(rest), ",")
		rest = strings.TrimSpace(rest)
	}
	return scheme, params
}
