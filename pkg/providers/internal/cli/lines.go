package cli

import (
	"bufio"
	"fmt"
	"io"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// readLines splits r into lines and calls emit with each, without its line ending. A line
// longer than max bytes is read whole only up to max+margin bytes: emit gets that head and the
// full length, and the rest of the line is discarded without being held in memory.
func readLines(r io.Reader, max, margin int, emit func(head string, full int)) error {
	br := bufio.NewReaderSize(r, max+margin)
	for {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			head, full := string(b), len(b)
			for err == bufio.ErrBufferFull {
				b, err = br.ReadSlice('\n')
				full += len(b)
			}
			full -= len(b) - len(trimEOL(b)) // not counting the line ending
			emit(head, full)
		} else if len(b) > 0 {
			line := trimEOL(b)
			emit(string(line), len(line))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// bound redacts head and, when the line was longer than max bytes, cuts it at max (on a rune
// boundary) and says how much was cut. Redacting before cutting keeps a secret that crosses
// the cut from leaking its first half.
func bound(red *secrets.Redactor, head string, full, max int) string {
	s := red.Redact(head)
	if full <= max {
		return s // redaction may lengthen a line; only the tool's own length counts
	}
	cut := min(max, len(s))
	for cut > 0 && cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s ... [line cut, %d bytes]", s[:cut], full)
}

// tail keeps the last n lines written to it.
type tail struct {
	n     int
	lines []string
}

func (t *tail) add(l string) {
	if len(t.lines) == t.n {
		copy(t.lines, t.lines[1:])
		t.lines = t.lines[:t.n-1]
	}
	t.lines = append(t.lines, l)
}

// limiter passes at most perSecond lines a second to a Reporter, shared by both streams. Over
// the limit it counts the lines it drops and reports "... N lines skipped" before the next line
// it passes and when flushed.
type limiter struct {
	mu        sync.Mutex
	r         providers.Reporter
	perSecond int // negative: unlimited
	now       func() time.Time
	start     time.Time
	n         int
	skipped   int
}

func newLimiter(r providers.Reporter, perSecond int) *limiter {
	return &limiter{r: r, perSecond: perSecond, now: time.Now}
}

func (l *limiter) log(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perSecond < 0 {
		l.r.Log(line)
		return
	}
	if now := l.now(); now.Sub(l.start) >= time.Second {
		l.start, l.n = now, 0
		l.flushLocked()
	}
	if l.n >= l.perSecond {
		l.skipped++
		return
	}
	l.n++
	l.r.Log(line)
}

func (l *limiter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

func (l *limiter) flushLocked() {
	if l.skipped > 0 {
		l.r.Log(fmt.Sprintf("... %d lines skipped", l.skipped))
		l.skipped = 0
	}
}

// stream reads one output stream of the command: each line is redacted, bounded, kept in the
// tail and, unless quiet, passed to the limiter.
type stream struct {
	red    *secrets.Redactor
	max    int
	margin int
	lim    *limiter
	quiet  bool
	tail   tail
}

func (s *stream) read(r io.Reader) error {
	return readLines(r, s.max, s.margin, func(head string, full int) {
		line := bound(s.red, head, full, s.max)
		s.tail.add(line)
		if !s.quiet {
			s.lim.log(line)
		}
	})
}

// margin returns how many bytes beyond max a line buffer holds so that every form of a secret
// of longest bytes starting before the cut is complete in it (a JSON \uXXXX escape is six
// bytes a byte).
func margin(longest int) int { return 6 * longest }
