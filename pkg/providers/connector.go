package providers

import (
	"context"
	"io"
)

// Connector is implemented by providers that can say how to reach an environment that already
// exists, without deploying it, and run one command inside it (`local connect`).
type Connector interface {
	// Connection says how to reach the environment of s now. Errors: ErrNotFound when it does
	// not exist.
	Connection(ctx context.Context, s *Spec) (*Connection, error)
	// Exec runs cmd inside the environment of s, without a terminal and without standard
	// input, copying its output to stdout and stderr, and returns its exit code. The two may
	// be written to at the same time, from different goroutines (an SSH session copies its
	// streams concurrently): pass two different writers, or one safe for concurrent use.
	Exec(ctx context.Context, s *Spec, cmd []string, stdout, stderr io.Writer) (int, error)
}
