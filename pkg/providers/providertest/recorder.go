package providertest

import (
	"fmt"
	"strings"
	"sync"
)

// Recorder is a providers.Reporter that keeps every line: Log lines as they are, Progress as
// "progress <step> <done>/<total>". It is safe for concurrent use.
type Recorder struct {
	mu    sync.Mutex
	lines []string
}

// Log implements providers.Reporter.
func (r *Recorder) Log(line string) { r.add(line) }

// Progress implements providers.Reporter.
func (r *Recorder) Progress(step string, done, total int) {
	r.add(fmt.Sprintf("progress %s %d/%d", step, done, total))
}

func (r *Recorder) add(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, line)
}

// Lines returns the lines so far.
func (r *Recorder) Lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// Text returns the lines so far joined by newlines.
func (r *Recorder) Text() string { return strings.Join(r.Lines(), "\n") }
