package devpod

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
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
// cmd are quoted for it. devpod collapses every remote exit code to 1, so the command line
// also prints the command's exit status to stderr after a marker (exitMarker), which Exec takes
// off the output and returns. The command's standard output goes to stdout; devpod's and the
// command's standard error to stderr. Errors: ErrNotFound when devpod does not know the
// workspace; devpod's own failure (no marker) as an error.
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
	ew := &exitWriter{w: stderr, code: -1}
	line := shellJoin(cmd) + `; echo "` + exitMarker + `$?" >&2`
	var out bytes.Buffer
	env, secrets := p.env(call{home: l.Home})
	_, err = cli.Run(ctx, cli.Cmd{Path: p.cfg.Binary, Setting: setting, Provider: Name, Name: "devpod ssh",
		Args: []string{"ssh", l.ID, "--workdir", workspaceFolder, "--command", line}, Env: env,
		Secrets: secrets, Stdout: &out, Reporter: ew, LinesPerSecond: -1})
	if _, werr := io.Copy(stdout, &out); werr != nil && err == nil {
		err = werr
	}
	switch {
	case err != nil:
		return 0, fmt.Errorf("%s: %w", Name, err)
	case ew.code < 0:
		return 0, fmt.Errorf("%s: devpod ssh in %s ended without the command's exit status: the command did not run to its end", Name, l.ID)
	}
	return ew.code, nil
}

// exitWriter is the Reporter of Exec: each line to w, except the marker line, whose number is
// the command's exit code (text before the marker, output without a final newline, is kept).
type exitWriter struct {
	w    io.Writer
	code int
}

// exitMarker precedes the command's exit status on the last line of stderr. The command
// could print it too; that only misreports its own exit code to its own caller.
const exitMarker = "sindri-exit-status="

func (e *exitWriter) Log(line string) {
	if i := strings.LastIndex(line, exitMarker); i >= 0 {
		if n, err := strconv.Atoi(strings.TrimSpace(line[i+len(exitMarker):])); err == nil {
			e.code = n
			if i > 0 {
				fmt.Fprintln(e.w, line[:i])
			}
			return
		}
	}
	fmt.Fprintln(e.w, line)
}

func (*exitWriter) Progress(string, int, int) {}

// shellJoin quotes each word for a POSIX shell and joins them.
func shellJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
