package devpod_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/devpod"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli/clitest"
)

// `local connect -- CMD` on devpod is `devpod ssh ID --workdir FOLDER --command 'CMD'`: the
// words quoted for the workspace's shell, stdout and stderr apart, and the command's exit
// code read from the status line the command line prints (devpod itself collapses it to 1)
// and taken off stdout; devpod failing on its own is an error; a workspace devpod does not
// know is ErrNotFound.
func TestExecThroughDevpodSSH(t *testing.T) {
	t.Parallel()
	fake := fakeDevpod(t, "docker", nil, 0, clitest.Rule{Args: []string{"ssh"}, Stdout: "it's here\n\nsindri-exit-status=3\n", Stderr: "a warning\n"})
	p := devpod.New(devpod.Config{Binary: fake.Path, Home: filepath.Join(fake.Dir, "home"), PATH: "/usr/bin:/bin"})
	s := &providers.Spec{Env: "sindri-pr-42"}
	var out, errOut bytes.Buffer
	code, err := p.Exec(t.Context(), s, []string{"sh", "-c", "echo it's here; exit 3"}, &out, &errOut)
	if err != nil || code != 3 {
		t.Fatalf("Exec = %d, %v; want 3, nil", code, err)
	}
	if out.String() != "it's here\n" || errOut.String() != "a warning\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
	calls := fake.Calls(t)
	i := slices.IndexFunc(calls, func(c clitest.Call) bool { return len(c.Args) > 0 && c.Args[0] == "ssh" })
	if i < 0 {
		t.Fatalf("no devpod ssh call: %+v", calls)
	}
	want := []string{"ssh", "sindri-pr-42", "--workdir", "/alt/home/developer/workspace", "--command",
		`sh -c 'echo it'\''s here; exit 3'; printf '\nsindri-exit-status=%d\n' "$?"`}
	if got := calls[i].Args; !slices.Equal(got, want) {
		t.Errorf("devpod %q, want devpod %q", got, want)
	}

	broken := fakeDevpod(t, "docker", nil, 0, clitest.Rule{Args: []string{"ssh"}, Stderr: "fatal: agent lost\n", ExitCode: 1})
	p = devpod.New(devpod.Config{Binary: broken.Path, Home: filepath.Join(broken.Dir, "home"), PATH: "/usr/bin:/bin"})
	if code, err := p.Exec(t.Context(), s, []string{"true"}, &out, &errOut); err == nil {
		t.Errorf("Exec when devpod fails on its own: %d, nil; want an error", code)
	}

	gone := fakeDevpod(t, "docker", nil, 99)
	p = devpod.New(devpod.Config{Binary: gone.Path, Home: filepath.Join(gone.Dir, "home"), PATH: "/usr/bin:/bin"})
	if _, err := p.Exec(t.Context(), s, []string{"true"}, &out, &errOut); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Exec in an unknown workspace: %v, want ErrNotFound", err)
	}
	if _, err := p.Connection(t.Context(), s); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Connection of an unknown workspace: %v, want ErrNotFound", err)
	}
}

// On the real devpod and its docker backend: the command's own exit code (devpod alone would
// say 1), its stdout byte for byte, its stderr among devpod's lines.
func TestExecRealDevpod(t *testing.T) {
	t.Parallel()
	bin := needImages(t)
	p := realProvider(t, bin)
	s := dockerSpec(t, "exec-real")
	if _, err := p.Deploy(t.Context(), s, nil); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	t.Cleanup(func() { _ = p.Destroy(context.WithoutCancel(t.Context()), s) })
	var out, errOut bytes.Buffer
	code, err := p.Exec(t.Context(), s, []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, &out, &errOut)
	if err != nil || code != 3 || out.String() != "out\n" || !bytes.Contains(errOut.Bytes(), []byte("err")) {
		t.Errorf("Exec = %d, %v; stdout %q, stderr %q; want 3, nil, \"out\\n\" and err among devpod's lines", code, err, out.String(), errOut.String())
	}
}
