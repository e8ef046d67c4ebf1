package rest

import "net/http"

// BearerAuth returns an auth hook that sends `Authorization: Bearer <token>` (Northflank,
// RunPod, Fly). The hook returns no error.
func BearerAuth(token string) func(*http.Request) error {
	return HeaderAuth("Authorization", "Bearer "+token)
}

// HeaderAuth returns an auth hook that sets one header (E2B's X-API-Key, Fly's
// `Authorization: FlyV1 <token>`). The hook returns no error.
func HeaderAuth(name, value string) func(*http.Request) error {
	return func(r *http.Request) error {
		r.Header.Set(name, value)
		return nil
	}
}
