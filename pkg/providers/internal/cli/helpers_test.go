package cli_test

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
)

// reporter records the lines it is given and signals each one on seen.
type reporter struct {
	mu    sync.Mutex
	lines []string
	seen  chan string
}

func newReporter() *reporter { return &reporter{seen: make(chan string, 1024)} }

func (r *reporter) Log(line string) {
	r.mu.Lock()
	r.lines = append(r.lines, line)
	r.mu.Unlock()
	select {
	case r.seen <- line:
	default:
	}
}

func (r *reporter) Progress(string, int, int) {}

func (r *reporter) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// waitLine waits until the reporter has seen want.
func (r *reporter) waitLine(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l := <-r.seen:
			if l == want {
				return
			}
		case <-timeout:
			t.Fatalf("no line %q; got %q", want, r.all())
		}
	}
}

// helperCmd returns a Cmd that runs this test binary as the helper in mode, with env added.
func helperCmd(t *testing.T, mode string, env ...string) cli.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return cli.Cmd{Path: self, Name: "helper " + mode, Env: append([]string{"CLI_TEST_HELPER=" + mode}, env...)}
}

// readLines returns the lines of the file at path, or nil when it does not exist.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// grandchildGone waits until the one grandchild whose pid the helper wrote to pidFile has
// exited (gone or a zombie).
func grandchildGone(t *testing.T, pidFile string) {
	t.Helper()
	pids := readLines(t, pidFile)
	if len(pids) != 1 {
		t.Fatalf("grandchild pids %q, want one", pids)
	}
	pid, err := strconv.Atoi(pids[0])
	if err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(5 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		// The state follows the command name in parentheses, which may hold spaces.
		if s := string(b); strings.HasPrefix(strings.TrimSpace(s[strings.LastIndexByte(s, ')')+1:]), "Z") {
			return
		}
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatalf("process %d is still running", pid)
		}
	}
}
