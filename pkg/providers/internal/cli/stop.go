package cli

import (
	"context"
	"io"
	"sync"
	"syscall"
	"time"
)

// stopGroup waits until exited is closed; if ctx ends first it sends the process group SIGINT,
// then SIGTERM after interrupt, then SIGKILL after terminate, stopping as soon as exited is
// closed. SIGINT comes first because tools clean up on it: packer deletes its builder VM.
func stopGroup(ctx context.Context, pgid int, exited <-chan struct{}, interrupt, terminate time.Duration) {
	select {
	case <-exited:
		return
	case <-ctx.Done():
	}
	steps := []struct {
		sig  syscall.Signal
		wait time.Duration
	}{{syscall.SIGINT, interrupt}, {syscall.SIGTERM, terminate}}
	for _, s := range steps {
		_ = syscall.Kill(-pgid, s.sig) // ESRCH: the group is already gone
		t := time.NewTimer(s.wait)
		select {
		case <-exited:
			t.Stop()
			return
		case <-t.C:
		}
	}
	killGroup(pgid)
}

// killGroup sends SIGKILL to every process left in the group.
func killGroup(pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // ESRCH: nothing left
}

// waitFor waits for wg up to d and reports whether it finished.
func waitFor(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// teeTo returns r, copying what is read from it to w when w is set.
func teeTo(r io.Reader, w io.Writer) io.Reader {
	if w == nil {
		return r
	}
	return io.TeeReader(r, w)
}
