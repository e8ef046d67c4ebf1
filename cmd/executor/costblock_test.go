package main

import (
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
)

func TestLoadConfigCostBlock(t *testing.T) {
	t.Parallel()
	got, err := loadConfig([]string{"-config", "testdata/cost.hcl"}, envMap(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	running, stopped := 0.4, 0.01
	wantPrices := cost.Prices{"kubernetes": {Running: &running, Stopped: &stopped}}
	wantPolicy := cost.Policy{MaxHourlyPerEnv: 2.5, MaxHourlyPerRepo: 10, Regions: []string{"iad", "sjc"},
		GPUs:          map[string]int{"NVIDIA L4": 2, "a100-40": 1},
		RepoProviders: []cost.RepoProviders{{Pattern: "acme/*", Providers: []string{"docker", "fly"}}}}
	if !reflect.DeepEqual(got.CostPrices, wantPrices) || !reflect.DeepEqual(got.CostPolicy, wantPolicy) {
		t.Fatalf("cost = %+v %+v, want %+v %+v", got.CostPrices, got.CostPolicy, wantPrices, wantPolicy)
	}
}

func TestLoadConfigCostBlockErrors(t *testing.T) {
	t.Parallel()
	_, err := loadConfig([]string{"-config", "testdata/cost_bad.hcl"}, envMap(nil), io.Discard)
	if !errors.Is(err, errConfig) {
		t.Fatalf("loadConfig = %v, want a configuration error", err)
	}
	for _, want := range []string{"testdata/cost_bad.hcl:2:", "cost.max_hourly_per_env", "must not be negative", "testdata/cost_bad.hcl:3:", "cost.allowed_gpus"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestLoadConfigRepoIdleStop: a repository block may shorten cost.idle_stop (alone, without
// providers: then it restricts no provider); a longer value is kept with a warning naming its
// line, and one that is no duration is refused at its line.
func TestLoadConfigRepoIdleStop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := dir + "/idle.hcl"
	writeFile(t, good, `cost {
  idle_stop = "2h"
  repository "acme/web" {
    idle_stop = "30m"
  }
  repository "acme/*" {
    providers = ["docker"]
    idle_stop = "3h"
  }
}
`)
	got, err := loadConfig([]string{"-config", good}, envMap(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	wantIdle := cost.Idle{Executor: 2 * time.Hour, Repos: []cost.RepoIdle{{Pattern: "acme/web", After: 30 * time.Minute}, {Pattern: "acme/*", After: 3 * time.Hour}}}
	if !reflect.DeepEqual(got.CostIdle, wantIdle) {
		t.Errorf("CostIdle = %+v, want %+v", got.CostIdle, wantIdle)
	}
	if want := []cost.RepoProviders{{Pattern: "acme/*", Providers: []string{"docker"}}}; !reflect.DeepEqual(got.CostPolicy.RepoProviders, want) {
		t.Errorf("RepoProviders = %+v, want %+v (an idle_stop-only block restricts nothing)", got.CostPolicy.RepoProviders, want)
	}
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], good+":8:") || !strings.Contains(got.Warnings[0], "cannot lengthen cost.idle_stop 2h0m0s") {
		t.Errorf("warnings = %q, want one at line 8 saying 3h cannot lengthen 2h", got.Warnings)
	}
	if after, _ := got.CostIdle.For("acme/api", 0); after != 2*time.Hour {
		t.Errorf("acme/api idles after %v, want the executor's 2h", after)
	}

	bad := dir + "/bad.hcl"
	writeFile(t, bad, "cost {\n  repository \"x/*\" {\n    idle_stop = \"soon\"\n  }\n  repository \"y/*\" {}\n}\n")
	_, err = loadConfig([]string{"-config", bad}, envMap(nil), io.Discard)
	if !errors.Is(err, errConfig) {
		t.Fatalf("loadConfig = %v, want a configuration error", err)
	}
	for _, want := range []string{bad + ":3:", `cost.repository.x/*.idle_stop: "soon" is not a positive duration`, "repository.y/*.providers"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
