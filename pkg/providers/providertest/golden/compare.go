package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files with the output the tests produce")

// Updating reports whether the tests run with -update, that is whether Compare writes golden
// files instead of checking them. It never fails.
func Updating() bool { return *update }

// Compare checks got against the golden file at path and reports the first differing line
// through t.Errorf. With -update it writes got to path instead (creating its directory) and
// passes. A missing golden file without -update is a t.Fatalf, as is a failure to write one.
func Compare(t testing.TB, path string, got []byte) {
	t.Helper()
	compare(t, path, got, *update)
}

func compare(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("golden: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	t.Errorf("golden: %s differs (run go test -update if the change is intended)\n%s\ngot:\n%s", path, firstDiff(got, want), got)
}

// firstDiff describes the first line at which got and want differ.
func firstDiff(got, want []byte) string {
	g := bytes.Split(got, []byte("\n"))
	w := bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		gOK, wOK := i < len(g), i < len(w)
		if gOK {
			gl = g[i]
		}
		if wOK {
			wl = w[i]
		}
		if gOK != wOK || !bytes.Equal(gl, wl) {
			return fmt.Sprintf("line %d:\n  got:  %s\n  want: %s", i+1, lineOrEnd(gl, gOK), lineOrEnd(wl, wOK))
		}
	}
	return "no line differs"
}

func lineOrEnd(l []byte, ok bool) string {
	if !ok {
		return "(end of file)"
	}
	return fmt.Sprintf("%q", l)
}
