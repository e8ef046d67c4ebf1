package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers/builtin"
	"github.com/sindri/deploy/v3/pkg/runner"
)

// runLocal runs one job on the embedded bus from a terminal: the same path as the action, with
// console output instead of workflow commands and no GitHub reporting.
func runLocal(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (rc int) {
	if len(args) == 0 {
		io.WriteString(stderr, usage)
		return 2
	}
	verb := args[0]
	switch verb {
	case "doctor":
		return runDoctor(ctx, args[1:], getenv, stdout, stderr)
	case "connect":
		return runConnect(ctx, args[1:], getenv, stdout, stderr)
	case "vm":
		return runLocalVM(ctx, args[1:], getenv, stdout, stderr)
	case "ui":
		return runLocalUI(ctx, args[1:], getenv, stdout, stderr)
	}
	cmd, err := action.ParseCommand(verb)
	if err != nil || cmd == action.CommandAuto {
		fmt.Fprintf(stderr, "sindri-action local: unknown verb %q; use deploy, destroy, stop, start, status, plan or reap\n", verb)
		return 2
	}
	fs := flag.NewFlagSet("local "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("c", "", "path of sindri.yaml (default: discovered from the current directory)")
	env := fs.String("env", "", "environment name template (default: the config's name)")
	prov := fs.String("provider", "", "override deployment.provider")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	force := fs.Bool("force", false, "recreate even when the environment is up to date")
	artifacts := fs.String("artifacts", "", "plan only: write the plan's rendered artifacts (docker-compose.yml, ...) into this directory")
	imageID := fs.String("image-id", "", "image-delete only: the id of the image to delete")
	asJSON := fs.Bool("json", false, "print the result as one JSON object on stdout; progress and logs go to stderr")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sindri-action local %s: unexpected arguments %q (flags go after the verb)\n", verb, fs.Args())
		return 2
	}
	// With -json, stdout carries the one JSON object and everything for people goes to stderr.
	human := stdout
	if *asJSON {
		human = stderr
	}
	if *artifacts != "" && cmd != action.CommandPlan {
		fmt.Fprintf(stderr, "sindri-action local %s: -artifacts works with plan only\n", verb)
		return 2
	}
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(stderr, "sindri-action:", err)
		return 2
	}
	if *cfgPath == "" {
		if *cfgPath, err = config.Discover(wd); err != nil {
			fmt.Fprintln(stderr, "sindri-action:", err)
			return 2
		}
	}
	if abs, err := filepath.Abs(*cfgPath); err == nil {
		*cfgPath = abs
	}
	lookup := func(k string) (string, bool) {
		v := getenv(k)
		return v, v != ""
	}
	reg, err := builtin.Registry(getenv, localBlocks(getenv), nil)
	if err != nil {
		fmt.Fprintln(stderr, "sindri-action: providers:", err)
		return 2
	}
	kind := action.Kind(cmd)
	req := runner.Request{
		Intent: action.Intent{Kind: kind, Trigger: "local." + strings.ReplaceAll(verb, "-", "_"), Actor: getenv("USER"), Force: *force},
		Inputs: action.Inputs{
			Command: cmd, Config: *cfgPath, Provider: *prov, Environment: *env, ImageID: *imageID,
			Wait: true, Timeout: *timeout,
		},
		Workspace:       localWorkspace(*cfgPath),
		SecretFileRoots: secretFileRoots(getenv),
		LookupEnv:       lookup,
		HomeDir:         getenv("HOME"),
		Delivery:        fmt.Sprintf("local/%d/%d", os.Getpid(), time.Now().UnixNano()),
	}
	term := newTermOutput(human, getenv)
	var out runner.Output = term
	var result *jsonOutput
	if *asJSON {
		result = &jsonOutput{termOutput: term}
		out = result
	}
	arts := &artifactsOutput{Output: out, dir: *artifacts}
	if *artifacts != "" {
		out = arts
	}
	deps := runner.Deps{
		Out:          out,
		Registry:     reg,
		ResolveImage: imageResolver(getenv("GITHUB_TOKEN"), getenv),
		OpenBus:      runner.EmbeddedOpener(runner.EmbeddedConfig{Registry: reg, StoreDir: getenv("SINDRI_LOCAL_STORE")}),
	}
	code := runner.Run(ctx, req, deps)
	if result != nil {
		// After the artifacts' lines, so stdout holds the JSON object alone.
		defer func() {
			if err := result.write(stdout, verb, rc); err != nil {
				fmt.Fprintln(stderr, "sindri-action: -json:", err)
			}
		}()
	}
	if *artifacts == "" || code != runner.ExitOK {
		return code
	}
	switch {
	case arts.err != nil:
		fmt.Fprintln(stderr, "sindri-action: plan artifacts:", arts.err)
		return runner.ExitFailed
	case !arts.planned:
		fmt.Fprintln(stderr, "sindri-action: plan artifacts: no plan arrived; nothing was written")
		return runner.ExitFailed
	case len(arts.written) == 0:
		fmt.Fprintf(human, "the plan has no artifacts; nothing was written to %s\n", *artifacts)
	}
	for _, p := range arts.written {
		fmt.Fprintln(human, "wrote", p)
	}
	return code
}

// localWorkspace is the directory a local run confines the files a config names to: the root
// of the git checkout holding the config, else the config's own directory.
func localWorkspace(cfgPath string) string {
	dir := filepath.Dir(cfgPath)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}
