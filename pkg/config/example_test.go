package config_test

import (
	"fmt"

	"github.com/sindri/deploy/v3/pkg/config"
)

func ExampleLoad() {
	src := []byte(`version: "3.0"
name: my-env
deployment:
  provider: docker-compose
  resources:
    gpu:
      enabled: true
      tier: a100
extensions:
  profile: minimal
`)
	if _, diags := config.Load("sindri.yaml", src); diags.HasErrors() {
		for _, d := range diags.Errors() {
			fmt.Println(d)
		}
	}
	cfg, _ := config.Load("sindri.yaml", []byte(`version: "3.0"
name: my-env
deployment:
  provider: docker-compose
extensions:
  profile: minimal
`))
	fmt.Println(cfg.ProviderName(), cfg.Deployment.Resources.Memory, cfg.Deployment.Resources.CPUCount(), cfg.Providers.Docker.Restart)
	// Output:
	// sindri.yaml:8:13: error: deployment.resources.gpu.tier: unknown gpu tier "a100" (hint: valid: gpu-small, gpu-medium, gpu-large, gpu-xlarge (GPU models such as "a100" are offered by runpod, northflank, kubernetes and devpod's cloud backends; docker-compose uses the host's GPUs))
	// docker 4GB 2 unless-stopped
}

func ExampleParseSize() {
	for _, s := range []string{"512MB", "4GB", "4Gi", "1TB", "1.5GB"} {
		n, err := config.ParseSize(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(s, n)
	}
	// Output:
	// 512MB 536870912
	// 4GB 4294967296
	// 4Gi 4294967296
	// 1TB 1099511627776
	// invalid size "1.5GB": unknown unit ".5GB"; use MB, GB or TB (Mi, Gi, Ti and MiB, GiB, TiB also work)
}
