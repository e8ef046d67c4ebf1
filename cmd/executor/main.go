// Command executor pulls deployment jobs from NATS JetStream and runs them with the enabled
// providers. Configuration: executor.hcl, then SINDRI_* environment variables, then flags (see
// docs/executor.md). SIGTERM or SIGINT drain it within drain_timeout. `sindri-executor keygen
// [-o FILE]` writes a new secrets key (an xkey seed) and prints its public key.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "keygen" {
		err = keygen(os.Args[2:], os.Stdout, os.Stderr)
	} else {
		err = run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "executor:", err)
		if errors.Is(err, errConfig) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
