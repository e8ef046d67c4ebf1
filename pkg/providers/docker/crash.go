package docker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// A failing container's last lines are read within logsTimeout, at most logTailBytes of them,
// each cut to logLineMax bytes.
const (
	logTailLines = 20
	logTailBytes = 64 << 10
	logLineMax   = 512
	logsTimeout  = 5 * time.Second
)

// failure says why a container that should be coming up no longer is, or "" when nothing is
// wrong yet. restarts is its restart count before this start (-1: unknown); under a restart
// policy a container that exits is restarted by the engine, so a higher count, the restarting
// state, and an exited or dead state all mean the workload stopped before it was ready.
func failure(c *container.InspectResponse, restarts int) string {
	st := c.State
	switch {
	case st == nil:
		return ""
	case st.Restarting || (restarts >= 0 && c.RestartCount > restarts):
		return fmt.Sprintf("keeps exiting and being restarted (last exit code %d)", st.ExitCode)
	case st.Status == container.StateExited || st.Status == container.StateDead:
		return fmt.Sprintf("exited with code %d", st.ExitCode)
	case st.Health != nil && st.Health.Status == container.Unhealthy:
		return "is unhealthy (its image's HEALTHCHECK fails)"
	}
	return ""
}

// workloadFailed reports the container's last log lines to r, redacted with the spec's secret
// values, and returns the permanent error: it names the container, why it failed and its last
// line. Deploy fails within a poll or two of the exit, not at the timeout.
func (p *Provider) workloadFailed(ctx context.Context, c *container.InspectResponse, d *desired, why string, r providers.Reporter) error {
	lines := p.reportLastLines(ctx, c, d, r)
	msg := fmt.Sprintf("docker: container %s %s before it was ready", d.ContainerName, why)
	if n := len(lines); n > 0 {
		msg += fmt.Sprintf("; its last log line: %q", lines[n-1])
		if n > 1 {
			msg += fmt.Sprintf(" (the %d lines before it are in the job's log)", n-1)
		}
	} else {
		msg += "; it logged nothing"
	}
	return fmt.Errorf("%s: %w", msg, providers.ErrWorkloadFailed)
}

// reportLastLines logs the container's last lines to r, prefixed with its name, and returns
// them (redacted). A failure to read them is logged instead: it must not hide the real error.
func (p *Provider) reportLastLines(ctx context.Context, c *container.InspectResponse, d *desired, r providers.Reporter) []string {
	lines, err := p.lastLogLines(ctx, c)
	if err != nil {
		r.Log(fmt.Sprintf("container %s: its log could not be read: %v", d.ContainerName, err))
		return nil
	}
	red := d.redactor()
	r.Log(fmt.Sprintf("container %s: last %d log lines:", d.ContainerName, len(lines)))
	for i, l := range lines {
		// Redacted whole, then cut: a cut could split a secret value and hide it from the
		// redactor.
		lines[i] = cutLine(red.Redact(l))
		r.Log(d.ContainerName + ": " + lines[i])
	}
	return lines
}

// cutLine bounds a log line to logLineMax bytes, on a rune boundary.
func cutLine(l string) string {
	if len(l) <= logLineMax {
		return l
	}
	n := logLineMax
	for n > 0 && !utf8.RuneStart(l[n]) {
		n--
	}
	return l[:n] + "…"
}

// lastLogLines reads the container's last logTailLines non-empty lines (stdout and stderr).
func (p *Provider) lastLogLines(ctx context.Context, c *container.InspectResponse) ([]string, error) {
	lctx, cancel := context.WithTimeout(ctx, logsTimeout)
	defer cancel()
	rc, err := p.cli.ContainerLogs(lctx, c.ID, client.ContainerLogsOptions{
		ShowStdout: true, ShowStderr: true, Tail: strconv.Itoa(logTailLines)})
	if err != nil {
		return nil, p.wrap("read log of "+shortID(c.ID), err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, logTailBytes+1))
	if err != nil && len(raw) == 0 {
		return nil, p.wrap("read log of "+shortID(c.ID), err)
	}
	// Past the limit the last line is cut off, and with it perhaps a secret value the redactor
	// would no longer recognise: it is dropped.
	cut := len(raw) > logTailBytes
	raw = raw[:min(len(raw), logTailBytes)]
	text := string(raw)
	if c.Config == nil || !c.Config.Tty {
		var buf bytes.Buffer
		_, _ = stdcopy.StdCopy(&buf, &buf, bytes.NewReader(raw)) // a cut frame ends the copy
		text = buf.String()
	}
	if cut {
		text = text[:strings.LastIndexByte(text, '\n')+1]
	}
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimRight(l, "\r\t "); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	return lines, nil
}

// redactor redacts the spec's secret and credential values from what the container printed
// (a failing program may print its environment). It is nil, redacting nothing, for a desired
// state read back from a container (Start), which knows no values: the executor redacts then.
func (d *desired) redactor() *secrets.Redactor {
	var vals []secrets.Value
	for _, s := range d.secrets {
		vals = append(vals, secrets.New(s.value))
	}
	for _, f := range d.SecretFiles {
		vals = append(vals, secrets.New(string(f.content)))
	}
	for _, v := range d.credentials {
		vals = append(vals, secrets.New(v))
	}
	if len(vals) == 0 {
		return nil
	}
	return secrets.NewRedactor(vals...)
}
