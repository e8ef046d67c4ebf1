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
	switch args[0] {
	case "validate":
		return runValidate(args[1:], stdout, stderr)
	case "local":
		return runLocal(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		io.WriteString(stdout, usage)
		return 0
	}
	io.WriteString(stderr, "sindri-action: unknown command "+args[0]+"\n\n"+usage)
	return 2
}

const usage = `usage:
  sindri-action                         run as the GitHub action (reads the runner's environment)
  sindri-action validate -c FILE        check a sindri.yaml; prints file:line:col problems
  sindri-action local VERB [flags]      run a job on the embedded bus from a terminal
      VERB: deploy, destroy, stop, start, status, plan
      -c FILE        sindri.yaml (default: discovered from the current directory upwards)
      -env NAME      environment name template (default: the config name)
      -provider P    override deployment.provider
      -timeout D     give up after D (default 10m)
      -artifacts DIR plan only: write the plan's rendered artifacts (docker-compose.yml, ...)
                     into DIR and print their paths
      SINDRI_LOCAL_STORE=DIR keeps the embedded bus in DIR between runs (default: forgotten)
  sindri-action local ui [-store DIR] [-listen ADDR] [-token-file FILE]
                                        the operator web view over a snapshot of that store
`
