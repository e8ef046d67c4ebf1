// Package confine reads files that untrusted input names (a pull request's sindri.yaml, the
// .env files beside it, the files its secrets point to) without letting the name leave a
// directory, block the reader or exhaust its memory. It is the one place where such files are
// opened; everything else goes through ReadFile.
package confine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Sentinel errors, for errors.Is. The errors ReadFile returns never contain the path read nor
// any byte of the file: callers name the file the way the user wrote it.
var (
	// ErrOutsideRoot: the name resolves, after "..", and symlinks, outside the root.
	ErrOutsideRoot = errors.New("resolves outside the allowed directory")
	// ErrNotRegular: the name resolves to a directory, named pipe, device or socket.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge: the file is larger than the limit.
	ErrTooLarge = errors.New("file too large")
	// ErrNotExist is fs.ErrNotExist: the file (or a directory on its way) does not exist.
	ErrNotExist = fs.ErrNotExist
)

// ReadFile returns the content of the regular file name, which must resolve into root. A
// relative name is taken against root. It resolves every symlink first and refuses a result
// outside the resolved root (ErrOutsideRoot), then checks the file with Lstat before opening
// it, so that a named pipe or device is refused without being opened (ErrNotRegular), and a file
// over limit bytes is refused (ErrTooLarge). The open goes through os.Root, so a symlink swapped
// in between the check and the open cannot lead out of root either. A missing file gives an
// error wrapping ErrNotExist; other failures wrap the underlying errno. limit must be positive.
func ReadFile(root, name string, limit int64) ([]byte, error) {
	rootReal, err := realRoot(root)
	if err != nil {
		return nil, err
	}
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(root, p)
	}
	p, err = filepath.Abs(p)
	if err != nil {
		return nil, errors.New("cannot make the path absolute")
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		// A missing file outside root is outside root: whether it exists is none of the
		// caller's business.
		if _, in := Within(p, rootReal); !in {
			if abs, _ := filepath.Abs(root); !inside(p, abs) {
				return nil, ErrOutsideRoot
			}
		}
		return nil, cause(err)
	}
	rel, ok := Within(real, rootReal)
	if !ok {
		return nil, ErrOutsideRoot
	}
	st, err := os.Lstat(real)
	if err != nil {
		return nil, cause(err)
	}
	if err := check(st, limit); err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(rootReal)
	if err != nil {
		return nil, cause(err)
	}
	defer r.Close()
	// O_NONBLOCK: should a FIFO be swapped in after the Lstat, opening it does not wait for a
	// writer; the Stat below then refuses it.
	f, err := r.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		// os.Root refuses a name that now leads out of root (a swap after EvalSymlinks); its
		// error has no exported sentinel, so every failure here is reported by its errno.
		return nil, cause(err)
	}
	defer f.Close()
	fst, err := f.Stat()
	if err != nil {
		return nil, cause(err)
	}
	if err := check(fst, limit); err != nil {
		return nil, err
	}
	if !os.SameFile(st, fst) {
		return nil, errors.New("the file changed while it was being opened")
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, cause(err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

// realRoot returns root made absolute with its symlinks resolved.
func realRoot(root string) (string, error) {
	if root == "" {
		return "", errors.New("confine: no root directory")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("confine: root %s: %w", root, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("confine: root %s: %w", root, err)
	}
	return real, nil
}

// check refuses anything but a regular file of at most limit bytes.
func check(st fs.FileInfo, limit int64) error {
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%w: %s", ErrNotRegular, kind(st.Mode()))
	}
	if st.Size() > limit {
		return fmt.Errorf("%w: larger than %d bytes", ErrTooLarge, limit)
	}
	return nil
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	}
	return "not a plain file"
}

// cause keeps the kind of a filesystem error without the path it carries (a path may hold the
// expansion of a variable).
func cause(err error) error {
	var errno syscall.Errno
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w", fs.ErrNotExist)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w", fs.ErrPermission)
	case errors.As(err, &errno):
		return errno
	}
	return errors.New("cannot be read")
}

func inside(path, dir string) bool {
	_, ok := Within(path, dir)
	return ok
}

// Within reports whether path is dir or lies below it, and returns path relative to dir. Both
// must be absolute and clean.
func Within(path, dir string) (string, bool) {
	rel, err := filepath.Rel(dir, path)
	if err != nil || filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}
