package cli_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestRunReportsEachRunToTheRequestObserver: the executor's request metrics see every run of
// a provider's tool, under the provider's name and the command's name, with how it ended.
// Not parallel: the observer is process-wide.
func TestRunReportsEachRunToTheRequestObserver(t *testing.T) {
	recorded := providertest.RecordRequests(t, "obs")
	ok := helperCmd(t, "streams", "CLI_TEST_N=1", "CLI_TEST_CODE=0")
	ok.Provider = "obs"
	fail := helperCmd(t, "streams", "CLI_TEST_N=1", "CLI_TEST_CODE=3")
	fail.Provider = "obs"
	missing := cli.Cmd{Path: "/nonexistent/tool", Provider: "obs", Name: "tool run"}
	canceled := helperCmd(t, "streams", "CLI_TEST_N=1")
	canceled.Provider = "obs"
	done, cancel := context.WithCancel(t.Context())
	cancel()

	if _, err := cli.Run(t.Context(), ok); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Run(t.Context(), fail); err == nil {
		t.Fatal("exit 3: no error")
	}
	if _, err := cli.Run(t.Context(), missing); err == nil {
		t.Fatal("missing binary: no error")
	}
	if _, err := cli.Run(done, canceled); err == nil {
		t.Fatal("cancelled context: no error")
	}
	want := []providers.APIRequest{
		{Provider: "obs", Operation: "helper streams", Status: "ok"},
		{Provider: "obs", Operation: "helper streams", Status: "failed"},
		{Provider: "obs", Operation: "tool run", Status: "not_started"},
		{Provider: "obs", Operation: "helper streams", Status: "not_started"},
	}
	if got := recorded(); !slices.Equal(got, want) {
		t.Errorf("reported %+v, want %+v", got, want)
	}
}
