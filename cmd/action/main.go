// Command sindri-action is the sindri/deploy GitHub container action. Without arguments it
// runs as the action (the runner's environment: GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, INPUT_*
// ...). `validate -c FILE` checks a sindri.yaml; `local VERB -c FILE` runs a job on the
// embedded bus from a terminal (the README's demo uses it).
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sindri/deploy/v3/internal/clihelp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run dispatches on the first argument and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return runAction(ctx, getenv, stdout)
	}
	if args[0] == "help" || clihelp.Requested(args) {
		writeHelp(stdout, commandPath(args))
		return 0
	}
	switch args[0] {
	case "version", "--version":
		return runVersion("sindri-action", args[1:], stdout, stderr)
	case "validate":
		return runValidate(args[1:], stdout, stderr)
	case "local":
		return runLocal(ctx, args[1:], getenv, stdout, stderr)
	}
	io.WriteString(stderr, "sindri-action: unknown command "+args[0]+"\n\n"+usage)
	return 2
}

const usage = `usage:
  sindri-action                         run as the GitHub action (reads the runner's environment)
  sindri-action validate -c FILE        check a sindri.yaml; prints file:line:col problems
  sindri-action local VERB [flags]      run a job on the embedded bus from a terminal
  sindri-action version [-json]         print the version, commit and Go version
  sindri-action help [COMMAND...]       print the help of a command (or: COMMAND... --help)
` + localFlags

const localFlags = `
local VERB: deploy, destroy, stop, start, status, plan, reap, image-build, image-list, image-delete, ...
local connect [flags] [-- CMD]
      print the way into a running environment, or run CMD in it
local doctor [-provider P] [-cloud CLOUD]
      check what a provider needs on this machine
      -c FILE        sindri.yaml (default: discovered from the current directory upwards)
      -env NAME      environment name template (default: the config name)
      -provider P    override deployment.provider
      -timeout D     give up after D (default 10m)
      -force         recreate even when the environment is up to date
      -json          print the result as one JSON object on stdout (progress goes to stderr)
      -artifacts DIR plan only: write the plan's rendered artifacts (docker-compose.yml, ...)
                     into DIR and print their paths
      -image-id ID   image-delete only: the image to delete
      SINDRI_LOCAL_STORE=DIR keeps the embedded bus in DIR between runs (default: forgotten)
local ui [-store DIR] [-listen ADDR] [-token-file FILE]
      the operator web view over a snapshot of that store
local vm SUB --cloud CLOUD [flags]
      the guide's VM commands: SUB is doctor, build, list, deploy or delete (--id IMAGE_ID)
On a terminal, progress steps update one live line; NO_COLOR turns colours off.
`

const localUsage = "usage: sindri-action local VERB [flags]\n\nruns one job through the action's path on an embedded bus and executor, printing to the console\n" + localFlags

const validateUsage = `usage: sindri-action validate [-c FILE]

checks a sindri.yaml and prints every problem as file:line:col; exit 0 valid, 1 problems, 2 unreadable
      -c FILE        sindri.yaml (default: discovered from the current directory upwards)
`
