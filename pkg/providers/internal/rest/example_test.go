package rest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// A create whose response may be lost: Recover looks the machine up by its metadata and fills
// the same variable the reply would have.
func ExampleClient_Do() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusBadGateway) // created, but the gateway lost the reply
			return
		}
		fmt.Fprint(w, `[{"id":"m1","metadata":{"sindri_env":"pr-7"}}]`)
	}))
	defer srv.Close()

	limiters := rest.NewLimiters(0) // one per executor, built in cmd
	token := "fly-token"
	c, err := rest.New(rest.Config{
		BaseURL:          srv.URL + "/v1",
		Provider:         "fly",
		Auth:             rest.BearerAuth(token),
		RequestIDHeaders: []string{"fly-request-id"},
		Limiter:          limiters.For("fly", token),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	var machine struct{ ID string }
	err = c.Do(ctx, rest.Request{
		Op: "create machine", Method: http.MethodPost, Path: "apps/web/machines",
		Body: map[string]any{"metadata": map[string]string{"sindri_env": "pr-7"}},
		Recover: func(ctx context.Context) (bool, error) {
			var list []struct{ ID string }
			err := c.Do(ctx, rest.Request{Op: "list machines", Path: "apps/web/machines",
				Query: map[string][]string{"metadata.sindri_env": {"pr-7"}}}, &list)
			if errors.Is(err, providers.ErrNotFound) || len(list) == 0 {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			machine.ID = list[0].ID
			return true, nil
		},
	}, &machine)
	fmt.Println(machine.ID, err)
	// Output: m1 <nil>
}
