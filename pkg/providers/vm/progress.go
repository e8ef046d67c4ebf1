package vm

import (
	"strings"
	"sync"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
)

// progress turns packer's -machine-readable lines (already redacted and bounded by the cli
// runner) into the job's log and steps: every "ui" text is a log line, each "==> " headline
// a Progress step, and the first artifact's id is kept.
type progress struct {
	r providers.Reporter

	mu       sync.Mutex
	steps    int
	artifact string    // artifact,0,id of the build
	at       time.Time // when packer printed it
	errors   []string  // ui error texts, for the failure message
}

func newProgress(r providers.Reporter) *progress { return &progress{r: r} }

// Log implements providers.Reporter.
func (p *progress) Log(line string) {
	m, err := cli.ParseMachineReadable(line)
	if err != nil {
		p.r.Log(line) // a plain line (a panic, a plugin's stderr)
		return
	}
	if kind, text, ok := m.UI(); ok {
		p.ui(kind, text)
		return
	}
	if m.Type == "artifact" && len(m.Data) >= 3 && m.Data[0] == "0" && m.Data[1] == "id" {
		p.mu.Lock()
		if p.artifact == "" {
			p.artifact, p.at = m.Data[2], m.Time
		}
		p.mu.Unlock()
	}
}

func (p *progress) ui(kind, text string) {
	for _, l := range strings.Split(strings.Trim(text, "\n"), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		p.r.Log(l)
		if kind == "error" {
			p.mu.Lock()
			p.errors = append(p.errors, l)
			p.mu.Unlock()
		}
		if i := strings.Index(l, "==> "); i >= 0 && kind == "say" {
			p.mu.Lock()
			p.steps++
			n := p.steps
			p.mu.Unlock()
			p.r.Progress(strings.TrimSpace(l[i+4:]), n, 0)
		}
	}
}

// Progress implements providers.Reporter.
func (p *progress) Progress(step string, done, total int) { p.r.Progress(step, done, total) }

// result returns the artifact id seen and when.
func (p *progress) result() (string, time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.artifact, p.at
}
