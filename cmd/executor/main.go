// Command executor pulls deployment jobs from NATS JetStream and runs them with the enabled
// providers. Configuration: executor.hcl, then SINDRI_* environment variables, then flags (see
// docs/executor.md). SIGTERM or SIGINT drain it within drain_timeout. `sindri-executor keygen
// [-o FILE]` writes a new secrets key (an xkey seed) and prints its public key; `version`
// prints what the binary was built from; `help`, or -h/--help after any command, its usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sindri/deploy/v3/internal/clihelp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(dispatch(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// dispatch runs the command args name and returns the exit code: 0, 1 for a failure, 2 for a
// configuration or usage error.
func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var err error
	switch {
	case len(args) > 0 && args[0] == "help", clihelp.Requested(args):
		err = printHelp(args, stdout)
	case len(args) > 0 && (args[0] == "version" || args[0] == "--version"):
		err = printVersion(args[1:], stdout)
	case len(args) > 0 && args[0] == "keygen":
		err = keygen(args[1:], stdout, stderr)
	default:
		err = run(ctx, args, getenv, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "executor:", err)
		if errors.Is(err, errConfig) {
			return 2
		}
		return 1
	}
	return 0
}
