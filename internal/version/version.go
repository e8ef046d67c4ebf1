// Package version reports what a binary was built from: the version and commit set with
// -ldflags "-X github.com/sindri/deploy/v3/internal/version.Version=v3.1.0 -X ...Commit=abc123"
// (make build sets both from git), else what the Go toolchain stamped into the binary
// (runtime/debug.ReadBuildInfo: the module version and the vcs.* settings).
package version

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Version and Commit are set at link time; empty means "from the build info".
var (
	Version string
	Commit  string
)

// Info is what a binary was built from.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Modified  bool   `json:"modified,omitempty"` // built from a work tree with uncommitted changes
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// Get returns the running binary's Info. It never fails: what is unknown is "unknown" (a
// binary built without module or VCS information, e.g. by go test).
func Get() Info {
	i := Info{Version: Version, Commit: Commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		fromBuildInfo(&i, bi)
	}
	if i.Version == "" {
		i.Version = "unknown"
	}
	return i
}

// fromBuildInfo fills what the link-time variables left empty from bi.
func fromBuildInfo(i *Info, bi *debug.BuildInfo) {
	if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		i.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		i.GoVersion = bi.GoVersion
	}
	vcsCommit := ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			vcsCommit = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		}
	}
	if i.Commit == "" {
		i.Commit = vcsCommit
	}
}

// Write prints i for the binary called name, one "key: value" per line.
func (i Info) Write(w io.Writer, name string) error {
	commit := i.Commit
	if commit == "" {
		commit = "unknown"
	}
	if i.Modified {
		commit += " (modified)"
	}
	_, err := fmt.Fprintf(w, "%s %s\ncommit: %s\ngo: %s\nplatform: %s\n", name, i.Version, commit, i.GoVersion, i.Platform)
	return err
}
