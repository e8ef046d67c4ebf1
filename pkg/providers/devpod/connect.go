package devpod

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
)

var _ providers.Connector = (*Provider)(nil)

// Connection implements providers.Connector: devpod ssh with this executor's DEVPOD_HOME, the
// way in Deploy reports. Errors: ErrNotFound when devpod does not know the workspace.
func (p *Provider) Connection(ctx context.Context, s *providers.Spec) (*providers.Connection, error) {
	l, _, err := p.existing(ctx, s, "connect to")
	if err != nil {
		return nil, err
	}
	return p.connection(l.Home, l.ID), nil
}

// Exec implements providers.Connector with `devpod ssh ID --workdir FOLDER --command CMD`, the
// Connection's exec command: devpod runs CMD through the workspace's shell, so the words of
// cmd are quoted for it. The command's standard output goes to stdout; devpod's and the
// command's standard error to stderr. Its exit code is devpod's, which is the command's.
func (p *Provider) Exec(ctx context.Context, s *providers.Spec, cmd []string, stdout, stderr io.Writer) (int, error) {
	if len(cmd) == 0 {
		return 0, fmt.Errorf("%s: exec: %w: no command", Name, providers.ErrInvalidSpec)
	}
	l, st, err := p.existing(ctx, s, "exec in")
	if err != nil {
		return 0, err
	}
	if st != wsRunning {
		return 0, fmt.Errorf("%s: workspace %s is %s: start it first", Name, l.ID, st)
	}
	var out bytes.Buffer
	env, secrets := p.env(call{home: l.Home})
	_, err = cli.Run(ctx, cli.Cmd{Path: p.cfg.Binary, Setting: setting, Provider: Name, Name: "devpod ssh",
		Args: []string{"ssh", l.ID, "--workdir", workspaceFolder, "--command", shellJoin(cmd)}, Env: env,
		Secrets: secrets, Stdout: &out, Reporter: lineWriter{stderr}, LinesPerSecond: -1})
	if _, werr := io.Copy(stdout, &out); werr != nil && err == nil {
		err = werr
	}
	var ee *cli.ExitError
	if errors.As(err, &ee) && ee.Code > 0 && ee.Err == nil {
		return ee.Code, nil
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", Name, err)
	}
	return 0, nil
}

// shellJoin quotes each word for a POSIX shell and joins them.
func shellJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// lineWriter is a Reporter that writes each line to w.
type lineWriter struct{ w io.Writer }

func (l lineWriter) Log(line string)         { fmt.Fprintln(l.w, line) }
func (lineWriter) Progress(string, int, int) {}
