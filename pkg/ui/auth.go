package ui

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
)

// Loopback reports whether a listen address ("host:port") binds to loopback only: an IP
// loopback address or "localhost". An empty host (all interfaces) is not loopback.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RequireToken wraps next so that every request must carry token, either as
// "Authorization: Bearer <token>" (a reverse proxy or a script) or as the password of HTTP
// basic auth with any user name (a browser's login prompt). Other requests get 401 with a
// WWW-Authenticate challenge. An empty token lets every request through.
func RequireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var got string
		if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			got = strings.TrimSpace(b)
		} else if _, p, ok := r.BasicAuth(); ok {
			got = p
		}
		// Comparing digests keeps the comparison constant-time whatever the lengths.
		sum := sha256.Sum256([]byte(got))
		if got == "" || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="sindri", charset="UTF-8"`)
			w.Header().Add("WWW-Authenticate", `Bearer realm="sindri"`)
			http.Error(w, "401 unauthorized: this view needs the token from the executor's ui.token_file", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
