package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/secrets"
)

type logSink struct{ lines []string }

func (s *logSink) Log(l string)              { s.lines = append(s.lines, l) }
func (s *logSink) Progress(string, int, int) {}

func TestLimiterCoalescesSkippedLines(t *testing.T) {
	t.Parallel()
	sink := &logSink{}
	l := newLimiter(sink, 3)
	now := time.Unix(1_700_000_000, 0)
	l.now = func() time.Time { return now }
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		l.log(s)
	}
	now = now.Add(time.Second)
	l.log("f")
	l.log("g")
	l.log("h")
	l.log("i")
	l.flush()
	want := []string{"a", "b", "c", "... 2 lines skipped", "f", "g", "h", "... 1 lines skipped"}
	if !slices.Equal(sink.lines, want) {
		t.Errorf("got %q, want %q", sink.lines, want)
	}
}

func TestReadLinesBoundsAndRedacts(t *testing.T) {
	t.Parallel()
	red := secrets.NewRedactor(secrets.New("SECRETVALUE"), secrets.New("PASS"))
	tests := []struct {
		name, in string
		want     []string
	}{
		{"crlf and last line without newline", "a\r\nb\nc", []string{"a", "b", "c"}},
		{"empty lines kept", "a\n\nb\n", []string{"a", "", "b"}},
		{"long line cut", strings.Repeat("x", 25) + "\n" + "y\n", []string{strings.Repeat("x", 10) + " ... [line cut, 25 bytes]", "y"}},
		{"secret across the cut", "abcdefgSECRETVALUE" + strings.Repeat("z", 100) + "\n", []string{"abcdefg[re ... [line cut, 118 bytes]"}},
		{"redaction lengthens a short line", "k=PASS\n", []string{"k=[redacted]"}},
		{"rune not split", strings.Repeat("é", 8) + "\n", []string{strings.Repeat("é", 5) + " ... [line cut, 16 bytes]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			err := readLines(strings.NewReader(tt.in), 10, margin(len("SECRETVALUE")), func(head string, full int) {
				got = append(got, bound(red, head, full, 10))
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTailKeepsLastLines(t *testing.T) {
	t.Parallel()
	tl := tail{n: 2}
	for _, l := range []string{"1", "2", "3"} {
		tl.add(l)
	}
	if want := []string{"2", "3"}; !slices.Equal(tl.lines, want) {
		t.Errorf("got %q, want %q", tl.lines, want)
	}
}
