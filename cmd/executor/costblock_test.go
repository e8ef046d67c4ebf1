package main

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

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
