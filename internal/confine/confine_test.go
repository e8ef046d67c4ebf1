package confine_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/confine"
)

const marker = "root:x:0:0:CONFINE-CANARY"

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, at string) {
	t.Helper()
	if err := os.Symlink(target, at); err != nil {
		t.Fatal(err)
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "ws")
	outside := filepath.Join(base, "outside")
	write(t, filepath.Join(root, "sindri.yaml"), "inside")
	write(t, filepath.Join(root, "sub", "x.yaml"), "sub")
	write(t, filepath.Join(root, "big"), strings.Repeat("a", 101))
	write(t, filepath.Join(outside, "passwd"), marker+"\n")
	link(t, "sub/x.yaml", filepath.Join(root, "to-sub"))
	link(t, filepath.Join(outside, "passwd"), filepath.Join(root, "to-outside"))
	link(t, "/etc/passwd", filepath.Join(root, "to-etc-passwd"))
	link(t, outside, filepath.Join(root, "dir-outside"))
	link(t, filepath.Join(outside, "nope"), filepath.Join(root, "dangling-outside"))
	link(t, root, filepath.Join(base, "ws-alias"))
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	link(t, "fifo", filepath.Join(root, "to-fifo"))

	for _, tc := range []struct {
		name, root, file string
		want             string
		err              error
	}{
		{"relative", root, "sindri.yaml", "inside", nil},
		{"absolute inside", root, filepath.Join(root, "sindri.yaml"), "inside", nil},
		{"symlink inside", root, "to-sub", "sub", nil},
		{"root given through a symlink", filepath.Join(base, "ws-alias"), "to-sub", "sub", nil},
		{"symlink to a file outside", root, "to-outside", "", confine.ErrOutsideRoot},
		{"symlink to /etc/passwd", root, "to-etc-passwd", "", confine.ErrOutsideRoot},
		{"through a symlinked directory", root, "dir-outside/passwd", "", confine.ErrOutsideRoot},
		{"dot-dot", root, "../outside/passwd", "", confine.ErrOutsideRoot},
		{"dot-dot in the middle", root, "sub/../../outside/passwd", "", confine.ErrOutsideRoot},
		{"absolute outside", root, "/etc/passwd", "", confine.ErrOutsideRoot},
		{"missing outside", root, "/etc/no-such-file-here", "", confine.ErrOutsideRoot},
		{"missing inside", root, "nope.yaml", "", fs.ErrNotExist},
		{"dangling symlink", root, "dangling-outside", "", fs.ErrNotExist},
		{"directory", root, "sub", "", confine.ErrNotRegular},
		{"fifo", root, "fifo", "", confine.ErrNotRegular},
		{"symlink to a fifo", root, "to-fifo", "", confine.ErrNotRegular},
		{"too large", root, "big", "", confine.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			type res struct {
				b   []byte
				err error
			}
			done := make(chan res, 1)
			go func() {
				b, err := confine.ReadFile(tc.root, tc.file, 100)
				done <- res{b, err}
			}()
			var got res
			select {
			case got = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("ReadFile blocked")
			}
			if tc.err == nil {
				if got.err != nil || string(got.b) != tc.want {
					t.Fatalf("got %q, %v; want %q", got.b, got.err, tc.want)
				}
				return
			}
			if !errors.Is(got.err, tc.err) {
				t.Fatalf("err = %v, want %v", got.err, tc.err)
			}
			if got.b != nil {
				t.Errorf("content returned with an error")
			}
			for _, leak := range []string{marker, "root:x", outside} {
				if strings.Contains(got.err.Error(), leak) {
					t.Errorf("error %q contains %q", got.err, leak)
				}
			}
		})
	}
}

func TestWithin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path, dir string
		rel       string
		ok        bool
	}{
		{"/a/b", "/a", "b", true},
		{"/a", "/a", ".", true},
		{"/ab", "/a", "", false},
		{"/a/../b", "/a", "", false},
		{"/", "/a", "", false},
		{"/a/..b", "/a", "..b", true},
	} {
		rel, ok := confine.Within(filepath.Clean(tc.path), tc.dir)
		if rel != tc.rel || ok != tc.ok {
			t.Errorf("Within(%q, %q) = %q, %v; want %q, %v", tc.path, tc.dir, rel, ok, tc.rel, tc.ok)
		}
	}
}
