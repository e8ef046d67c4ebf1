package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing the test running it.
// Fatalf stops the compare call by panicking with fatal{}, as the real one stops the goroutine.
type recorder struct {
	testing.TB
	errors, fatals []string
}

type fatal struct{}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, format)
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, format)
	panic(fatal{})
}

// run calls compare with a recorder and returns it.
func run(t *testing.T, path string, got []byte, update bool) (r *recorder) {
	t.Helper()
	r = &recorder{TB: t}
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(fatal); !ok {
				panic(p)
			}
		}
	}()
	compare(r, path, got, update)
	return r
}

func TestCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		golden     *string // nil: no golden file
		got        string
		update     bool
		wantErrors int
		wantFatals int
		wantFile   string
	}{
		{name: "equal", golden: ptr("a\nb\n"), got: "a\nb\n", wantFile: "a\nb\n"},
		{name: "differs", golden: ptr("a\nb\n"), got: "a\nc\n", wantErrors: 1, wantFile: "a\nb\n"},
		{name: "got longer", golden: ptr("a\n"), got: "a\nb\n", wantErrors: 1, wantFile: "a\n"},
		{name: "missing", got: "a\n", wantFatals: 1},
		{name: "update rewrites", golden: ptr("old\n"), got: "new\n", update: true, wantFile: "new\n"},
		{name: "update creates", got: "new\n", update: true, wantFile: "new\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "sub", "x.golden")
			if tt.golden != nil {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(*tt.golden), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := run(t, path, []byte(tt.got), tt.update)
			if len(r.errors) != tt.wantErrors || len(r.fatals) != tt.wantFatals {
				t.Errorf("errors, fatals = %d, %d; want %d, %d", len(r.errors), len(r.fatals), tt.wantErrors, tt.wantFatals)
			}
			if tt.wantFile == "" {
				return
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.wantFile {
				t.Errorf("golden file = %q, want %q", b, tt.wantFile)
			}
		})
	}
}

func TestFirstDiff(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want, contains string }{
		{"a\nb", "a\nc", `line 2:`},
		{"a\nb", "a\nc", `"b"`},
		{"a", "a\nc", "(end of file)"},
		{"a", "a", "no line differs"},
	}
	for _, tt := range tests {
		if d := firstDiff([]byte(tt.got), []byte(tt.want)); !strings.Contains(d, tt.contains) {
			t.Errorf("firstDiff(%q, %q) = %q, want it to contain %q", tt.got, tt.want, d, tt.contains)
		}
	}
}

func ptr(s string) *string { return &s }
