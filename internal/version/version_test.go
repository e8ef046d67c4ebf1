package version

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	t.Parallel()
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v3.2.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		name                 string
		ldVersion, ldCommit  string
		wantVersion, wantCmt string
	}{
		{"build info only", "", "", "v3.2.0", "0123abc"},
		{"ldflags win", "v9.9.9", "fff", "v9.9.9", "fff"},
	} {
		i := Info{Version: tc.ldVersion, Commit: tc.ldCommit}
		fromBuildInfo(&i, bi)
		if i.Version != tc.wantVersion || i.Commit != tc.wantCmt || !i.Modified || i.GoVersion != "go1.26.8" {
			t.Errorf("%s: got %+v, want version %s commit %s modified go1.26.8", tc.name, i, tc.wantVersion, tc.wantCmt)
		}
	}
	devel := Info{}
	fromBuildInfo(&devel, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}})
	if devel.Version != "" {
		t.Errorf("(devel) became version %q; want it left for Get's unknown", devel.Version)
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := (Info{Version: "v3.2.0", Commit: "0123abc", Modified: true, GoVersion: "go1.26.8", Platform: "linux/amd64"}).Write(&b, "sindri-action"); err != nil {
		t.Fatal(err)
	}
	want := "sindri-action v3.2.0\ncommit: 0123abc (modified)\ngo: go1.26.8\nplatform: linux/amd64\n"
	if got := b.String(); got != want {
		t.Errorf("Write = %q, want %q", got, want)
	}
	if got := Get(); got.Version == "" || !strings.HasPrefix(got.GoVersion, "go") {
		t.Errorf("Get() = %+v, want a version and a Go version", got)
	}
}
