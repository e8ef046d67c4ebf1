package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/builtin"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
	"github.com/sindri/deploy/v3/pkg/providers/vm/oci"
)

// vmUsage is the guide's VM commands.
const vmUsage = `usage: sindri-action local vm SUBCOMMAND --cloud CLOUD [flags of local]
  doctor   packer's version and the cloud's credential variables (names only)
  build    build the config's image (the image-build job)
  list     list the images built from the config (image-list)
  deploy   run the environment from the config's image, building it when missing (deploy)
  delete   delete an image: --id IMAGE_ID (image-delete)
  CLOUD must be the config's providers.packer.cloud (aws, azure, gcp, oci, alibaba or alicloud).
`

// vmVerbs maps the guide's vm subcommands onto local verbs.
var vmVerbs = map[string]string{"build": "image-build", "list": "image-list", "deploy": "deploy", "delete": "image-delete"}

// runLocalVM runs `local vm SUBCOMMAND --cloud CLOUD`: doctor locally, the others as the
// local verb they name, after checking --cloud against the config.
func runLocalVM(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, vmUsage)
		return 2
	}
	sub, rest := args[0], args[1:]
	cloud, rest, _ := takeFlag(rest, "cloud")
	id, rest, hasID := takeFlag(rest, "id")
	if sub == "doctor" {
		return vmDoctor(ctx, cloud, getenv, stdout, stderr)
	}
	verb, ok := vmVerbs[sub]
	if !ok {
		fmt.Fprintf(stderr, "sindri-action local vm: unknown subcommand %q\n%s", sub, vmUsage)
		return 2
	}
	if cloud == "" {
		fmt.Fprintf(stderr, "sindri-action local vm %s: --cloud is required (the config's providers.packer.cloud)\n", sub)
		return 2
	}
	switch {
	case sub == "delete" && !hasID:
		fmt.Fprintln(stderr, "sindri-action local vm delete: --id IMAGE_ID is required (see vm list)")
		return 2
	case sub != "delete" && hasID:
		fmt.Fprintf(stderr, "sindri-action local vm %s: --id works with delete only\n", sub)
		return 2
	}
	if code := checkVMCloud(rest, cloud, stderr); code != 0 {
		return code
	}
	largs := append([]string{verb}, rest...)
	if hasID {
		largs = append(largs, "-image-id", id)
	}
	if sub == "deploy" {
		largs = append(largs, "-provider", vm.Name)
	}
	return runLocal(ctx, largs, getenv, stdout, stderr)
}

// checkVMCloud loads the config the local flags name (or discovers it) and refuses a --cloud
// other than its providers.packer.cloud.
func checkVMCloud(args []string, cloud string, stderr io.Writer) int {
	path, _, _ := takeFlag(args, "c")
	if path == "" {
		wd, err := os.Getwd()
		if err == nil {
			path, err = config.Discover(wd)
		}
		if err != nil {
			fmt.Fprintln(stderr, "sindri-action:", err)
			return 2
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(stderr, "sindri-action:", err)
		return 2
	}
	c, diags := config.Load(path, b)
	if c == nil {
		fmt.Fprintf(stderr, "sindri-action: %s: %v\n", path, diags)
		return 2
	}
	pc := c.Providers.Packer
	if pc == nil {
		fmt.Fprintf(stderr, "sindri-action local vm: %s has no providers.packer block: add providers.packer: {cloud: %s}\n", path, cloud)
		return 2
	}
	if want, _ := config.ParseCloud(strings.ToLower(cloud)); pc.Cloud != want {
		fmt.Fprintf(stderr, "sindri-action local vm: %s: providers.packer.cloud is %s, not %s: pass --cloud %s, or change providers.packer.cloud\n", path, pc.Cloud, cloud, pc.Cloud)
		return 2
	}
	return 0
}

// vmDoctor prints packer's version and, by name, which of the cloud's credential variables
// are set. It exits 0 when packer runs and the cloud's required variables are set.
func vmDoctor(ctx context.Context, cloud string, getenv func(string) string, stdout, stderr io.Writer) int {
	c, ok := config.ParseCloud(strings.ToLower(cloud))
	names := vm.CredentialVars[c]
	if !ok {
		fmt.Fprintf(stderr, "sindri-action local vm doctor: --cloud must be one of aws, azure, gcp, oci, alibaba (or alicloud) (got %q)\n", cloud)
		return 2
	}
	reg, err := builtin.Registry(getenv, nil, nil)
	if err != nil {
		fmt.Fprintln(stderr, "sindri-action: providers:", err)
		return 2
	}
	p, err := reg.Get(vm.Name)
	if err != nil {
		fmt.Fprintln(stderr, "sindri-action:", err)
		return 2
	}
	rd := p.(providers.Checker).Check(ctx)
	code := 0
	if rd.Version != "" {
		fmt.Fprintf(stdout, "ok      %s\n", rd.Version)
	}
	for _, prob := range rd.Problems {
		if !strings.Contains(prob, "is not set") {
			fmt.Fprintf(stdout, "problem %s\n", prob)
			code = 1
		}
	}
	all := slices.Clone(names)
	for _, n := range vm.DeployVars(c) {
		if !slices.Contains(all, n) {
			all = append(all, n)
		}
	}
	for _, n := range all {
		switch {
		case getenv(n) != "":
			fmt.Fprintf(stdout, "ok      %s is set\n", n)
		case slices.Contains(vm.RequiredVars(c), n):
			fmt.Fprintf(stdout, "problem %s is not set (required on %s)\n", n, c)
			code = 1
		case slices.Contains(vm.DeployVars(c), n):
			fmt.Fprintf(stdout, "-       %s is not set (needed by deploy, list and delete on %s, unless the config names it)\n", n, c)
		default:
			fmt.Fprintf(stdout, "-       %s is not set (optional)\n", n)
		}
	}
	if c == config.CloudOCI {
		code = max(code, ociKeyCheck(getenv, stdout))
	}
	if vm.Deploys(c) {
		fmt.Fprintf(stdout, "note    on %s, build, list, delete and deploy work\n", c)
	} else {
		fmt.Fprintf(stdout, "note    on %s, build works; list, delete and deploy are not implemented yet\n", c)
	}
	return code
}

// ociKeyCheck checks, when OCI_KEY_FILE is set, that it holds an RSA key OCI's API calls can
// sign with (packer may read ~/.oci/config instead). It prints the variable's name only,
// never the path's content.
func ociKeyCheck(getenv func(string) string, stdout io.Writer) int {
	path := getenv("OCI_KEY_FILE")
	if path == "" {
		return 0
	}
	b, err := os.ReadFile(path)
	if err == nil {
		_, err = oci.ParsePrivateKey(b)
	}
	if err != nil {
		fmt.Fprintf(stdout, "problem OCI_KEY_FILE: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "ok      OCI_KEY_FILE holds an RSA private key")
	return 0
}

// takeFlag removes -name VALUE, --name VALUE, -name=VALUE or --name=VALUE from args and
// returns its value.
func takeFlag(args []string, name string) (value string, rest []string, found bool) {
	for i := 0; i < len(args); i++ {
		a := strings.TrimPrefix(strings.TrimPrefix(args[i], "-"), "-")
		if a == args[i] {
			rest = append(rest, args[i])
			continue
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			value, found = v, true
			continue
		}
		if a == name && i+1 < len(args) {
			value, found = args[i+1], true
			i++
			continue
		}
		rest = append(rest, args[i])
	}
	return value, rest, found
}
