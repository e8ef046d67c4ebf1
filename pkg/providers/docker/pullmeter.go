package docker

import (
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// pullReportEvery bounds how often a pull's byte count becomes a Progress event: each one is
// a message on the bus, and a person reads a few per second at most.
const pullReportEvery = 500 * time.Millisecond

// pullMeter sums the engine's per-layer download progress of one pull and reports it as the
// "resolve image" step's progress ("pulling IMAGE: 12.3 MB of 40.1 MB"), at most once per
// pullReportEvery, and once more when the last layer is downloaded.
type pullMeter struct {
	image      string
	r          providers.Reporter
	cur, total map[string]int64
	last       time.Time
	reported   int64 // bytes in the last report
}

func newPullMeter(image string, r providers.Reporter) *pullMeter {
	return &pullMeter{image: image, r: r, cur: map[string]int64{}, total: map[string]int64{}}
}

// downloading records a layer's progress.
func (m *pullMeter) downloading(layer string, current, total int64) {
	m.cur[layer], m.total[layer] = current, total
	if time.Since(m.last) >= pullReportEvery {
		m.report()
	}
}

// downloaded records a finished layer.
func (m *pullMeter) downloaded(layer string) {
	if t := m.total[layer]; t > 0 {
		m.cur[layer] = t
	}
}

// done reports the final count when bytes came in since the last report.
func (m *pullMeter) done() {
	if m.sum(m.cur) != m.reported {
		m.report()
	}
}

func (m *pullMeter) report() {
	cur, total := m.sum(m.cur), m.sum(m.total)
	m.last, m.reported = time.Now(), cur
	m.r.Progress(fmt.Sprintf("resolve image: pulling %s: %s of %s", m.image, humanBytes(cur), humanBytes(total)), 1, deploySteps)
}

func (m *pullMeter) sum(v map[string]int64) int64 {
	var n int64
	for _, b := range v {
		n += b
	}
	return n
}

// humanBytes renders n in decimal units, as the docker CLI does (kB, MB, GB).
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit && exp < 3; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGT"[exp])
}
