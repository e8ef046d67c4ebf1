package docker

import (
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

func TestWrapPermissionDeniedIsPermanent(t *testing.T) {
	t.Parallel()
	p, err := New(Config{Host: "unix:///var/run/docker.sock"})
	if err != nil {
		t.Fatal(err)
	}
	dial := &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.EACCES)}
	got := p.wrap("ping", dial)
	if providers.IsRetryable(got) {
		t.Errorf("permission denied is retryable: %v", got)
	}
	if !errors.Is(got, syscall.EACCES) {
		t.Errorf("error lost its cause: %v", got)
	}
	if want := "unix:///var/run/docker.sock"; !strings.Contains(got.Error(), want) {
		t.Errorf("error %q does not name %s", got, want)
	}
}
