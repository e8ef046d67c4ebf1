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
	"github.com/sindri/deploy/v3/pkg/providers/internal/shellword"
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
// also prints the command's exit status on a last line of standard output after a marker
// (exitMarker); Exec takes that line off and returns the status. Standard output is passed
// through byte for byte (devpod relays the remote stdout as is); devpod's lines, the
// command's standard error among them, go to stderr. Errors: ErrNotFound when devpod does
// not know the workspace; devpod's own failure (no status line) as an error.
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
	line := shellword.Join(cmd) + `; printf '\n` + exitMarker + `%d\n' "$?"`
	var out bytes.Buffer
	env, secrets := p.env(call{home: l.Home})
	_, err = cli.Run(ctx, cli.Cmd{Path: p.cfg.Binary, Setting: setting, Provider: Name, Name: "devpod ssh",
		Args: []string{"ssh", l.ID, "--workdir", workspaceFolder, "--command", line}, Env: env,
		Secrets: secrets, Stdout: &out, Reporter: lineWriter{stderr}, LinesPerSecond: -1})
	text := out.String()
	i := strings.LastIndex(text, "\n"+exitMarker)
	code := -1
	if i >= 0 {
		if n, cerr := strconv.Atoi(strings.TrimSpace(text[i+1+len(exitMarker):])); cerr == nil {
			code, text = n, text[:i]
		}
	}
	if _, werr := io.WriteString(stdout, text); werr != nil && err == nil {
		err = werr
	}
	switch {
	case err != nil:
		return 0, fmt.Errorf("%s: %w", Name, err)
	case code < 0:
		return 0, fmt.Errorf("%s: devpod ssh in %s ended without the command's exit status: the command did not run to its end", Name, l.ID)
	}
	return code, nil
}

// exitMarker precedes the command's exit status on the last line of its standard output. The
// command could print it too; that only misreports its own exit code to its own caller.
const exitMarker = "sindri-exit-status="

// lineWriter is a Reporter that writes each line to w.
type lineWriter struct{ w io.Writer }

func (l lineWriter) Log(line string)         { fmt.Fprintln(l.w, line) }
func (lineWriter) Progress(string, int, int) {}
