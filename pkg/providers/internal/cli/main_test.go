package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers/internal/cli/clitest"
)

// helperEnv selects what the test binary does when a test runs it as the command: see helper.
const helperEnv = "CLI_TEST_HELPER"

func TestMain(m *testing.M) {
	clitest.Main()
	if mode := os.Getenv(helperEnv); mode != "" {
		helper(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helper is the child process of the tests. Modes:
//
//	env          prints its environment, sorted, one entry a line
//	streams      prints out1..outN on stdout and err1..errN on stderr (N = CLI_TEST_N), exits CLI_TEST_CODE
//	print        prints CLI_TEST_TEXT on stdout and on stderr
//	trap         traps SIGINT and SIGTERM, appending each one's name to CLI_TEST_SIGNALS; starts a
//	             grandchild that ignores both (its pid in CLI_TEST_PIDFILE); prints "ready"; exits 130
//	             on the signal named by CLI_TEST_EXIT_ON
//	linger       starts a grandchild that keeps stdout open (pid in CLI_TEST_PIDFILE), then exits 0
//	grandchild   ignores SIGINT and SIGTERM and blocks forever
func helper(mode string) {
	switch mode {
	case "env":
		env := os.Environ()
		slices.Sort(env)
		fmt.Println(strings.Join(env, "\n"))
	case "streams":
		var n, code int
		fmt.Sscan(os.Getenv("CLI_TEST_N"), &n)
		fmt.Sscan(os.Getenv("CLI_TEST_CODE"), &code)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(os.Stdout, "out%d\n", i)
			fmt.Fprintf(os.Stderr, "err%d\n", i)
		}
		os.Exit(code)
	case "print":
		fmt.Fprint(os.Stdout, os.Getenv("CLI_TEST_TEXT"))
		fmt.Fprint(os.Stderr, os.Getenv("CLI_TEST_TEXT"))
		os.Exit(1)
	case "trap":
		sigs := make(chan os.Signal, 4)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
		startGrandchild(false)
		fmt.Println("ready")
		for s := range sigs {
			appendLine(os.Getenv("CLI_TEST_SIGNALS"), s.String())
			if s.String() == os.Getenv("CLI_TEST_EXIT_ON") {
				os.Exit(130)
			}
		}
	case "linger":
		startGrandchild(true)
		fmt.Println("bye")
	case "grandchild":
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
		appendLine(os.Getenv("CLI_TEST_PIDFILE"), fmt.Sprint(os.Getpid())) // ready for the signals
		// Not select{}: with no other goroutine the runtime would report a deadlock and exit.
		time.Sleep(time.Hour)
	}
}

// startGrandchild starts the grandchild in this process's group, holding stdout when told, and
// returns once the grandchild has written its pid to CLI_TEST_PIDFILE.
func startGrandchild(holdStdout bool) {
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	pidFile := os.Getenv("CLI_TEST_PIDFILE")
	gc := exec.Command(self)
	gc.Env = []string{helperEnv + "=grandchild", "CLI_TEST_PIDFILE=" + pidFile}
	if holdStdout {
		gc.Stdout = os.Stdout
	}
	if err := gc.Start(); err != nil {
		panic(err)
	}
	// Wait until the grandchild ignores the signals, so that it can only die by SIGKILL.
	for {
		if b, _ := os.ReadFile(pidFile); len(b) > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if _, err := f.WriteString(line + "\n"); err != nil {
		panic(err)
	}
}
