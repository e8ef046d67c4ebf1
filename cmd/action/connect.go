package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/builtin"
)

// runConnect is `local connect [flags] [-- CMD ARGS...]`, the guide's `sindri connect`: it
// asks the provider for the environment's state and prints the way in (the provider guide's
// connection method, the exact commands, a VS Code link); with a command after --, it runs
// that command inside the environment and exits with its exit code. It reads; it never
// deploys or starts anything.
func runConnect(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, cfgPath, prov := localFlagSet("connect", "the provider the environment was deployed with (default: the config's)", stderr)
	envTmpl := fs.String("env", "", "environment name template (default: the config's name)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cmd := fs.Args()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	c, code := loadForConnect(*cfgPath, stderr)
	if c == nil {
		return code
	}
	name := *prov
	if name == "" {
		name = string(c.ProviderName())
	}
	env, err := jobs.EnvName(jobs.NameInput{Name: c.Name, Template: *envTmpl})
	if err != nil {
		fmt.Fprintln(stderr, "sindri-action local connect: environment name:", err)
		return 2
	}
	reg, err := builtin.Registry(getenv, localBlocks(getenv), []string{name})
	if err != nil {
		fmt.Fprintln(stderr, "sindri-action local connect: providers:", err)
		return 2
	}
	p, err := reg.Get(name)
	if err != nil {
		fmt.Fprintf(stderr, "sindri-action local connect: provider %q is not built in (built in: %v)\n", name, builtin.Names())
		return 2
	}
	s := &providers.Spec{Env: env, Config: c}
	st, err := p.Status(ctx, s)
	if err != nil {
		fmt.Fprintf(stderr, "sindri-action local connect: status of %s on %s: %v\n", env, name, err)
		return 1
	}
	if st.State != providers.StateRunning {
		state := "is " + st.State.String()
		if st.State == providers.StateNotDeployed {
			state = "is not deployed"
		}
		fmt.Fprintf(stderr, "sindri-action local connect: %s on %s %s: deploy it (sindri-action local deploy) or start it (sindri-action local start) first\n",
			env, name, state)
		return 1
	}
	conn, ok := p.(providers.Connector)
	if len(cmd) > 0 {
		if !ok {
			fmt.Fprintf(stderr, "sindri-action local connect -- CMD: %s runs no command for you from here: connect by its way in and run the command there (the deploy's output and PR comment give the exact command; docs/cli.md#connect)\n", name)
			return 2
		}
		code, err := conn.Exec(ctx, s, cmd, stdout, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "sindri-action local connect: %v\n", err)
			return 1
		}
		return code
	}
	fmt.Fprintf(stdout, "%s on %s is running\n", env, name)
	if !ok {
		for _, a := range st.Addresses {
			fmt.Fprintf(stdout, "- %s: %s\n", a.Type, a.Value)
		}
		fmt.Fprintf(stdout, "the exact connect command is in the output and PR comment of the deploy (`connect`)\n")
		return 0
	}
	c2, err := conn.Connection(ctx, s)
	if errors.Is(err, providers.ErrNotFound) || c2 == nil {
		fmt.Fprintf(stderr, "sindri-action local connect: %s on %s: %v\n", env, name, err)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "sindri-action local connect: %v\n", err)
		return 1
	}
	io.WriteString(stdout, action.ConnectText(name, env, c2))
	return 0
}

// loadForConnect finds and loads the config; on failure it prints why and returns nil with
// the exit status.
func loadForConnect(path string, stderr io.Writer) (*config.Config, int) {
	if path == "" {
		wd, err := filepath.Abs(".")
		if err == nil {
			path, err = config.Discover(wd)
		}
		if err != nil {
			fmt.Fprintln(stderr, "sindri-action:", err)
			return nil, 2
		}
	}
	c, diags, err := config.LoadFile(path)
	if err != nil {
		fmt.Fprintln(stderr, "sindri-action:", err)
		return nil, 2
	}
	if c == nil {
		for _, d := range diags.Errors() {
			fmt.Fprintln(stderr, d.String())
		}
		return nil, 1
	}
	return c, 0
}
