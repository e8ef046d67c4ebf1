package flytest

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/internal/apifake"
)

// execBody is MachineExecRequest as the Machines OpenAPI spec documents it: command (argv),
// the deprecated cmd string, container, stdin, timeout (integer seconds) and machine.
type execBody struct {
	Command   []string `json:"command,omitempty"`
	Cmd       string   `json:"cmd,omitempty"`
	Container string   `json:"container,omitempty"`
	Stdin     string   `json:"stdin,omitempty"`
	Timeout   *int     `json:"timeout,omitempty"`
	Machine   bool     `json:"machine,omitempty"`
}

// execReply is flydv1.ExecResponse; empty and zero fields are left out.
type execReply struct {
	Stdout     string `json:"stdout,omitempty"`
	Stderr     string `json:"stderr,omitempty"`
	ExitCode   int    `json:"exit_code,omitempty"`
	ExitSignal int    `json:"exit_signal,omitempty"`
}

// exec runs a command on a started machine and answers 200 with its output and exit status,
// whatever the status (the command's failure is in the body). Refusals: 400 for a body that
// does not decode, no command (the deprecated cmd string is a violation: the provider must
// send the argv) or a negative timeout (the spec gives no bounds); 412 for a machine that is
// not started (UNVERIFIED: the spec documents only 200 and 400 for exec; 412 with
// failed_precondition is what Fly answers other calls a machine's state does not allow).
func (f *Fake) exec(w http.ResponseWriter, r *http.Request) {
	var b execBody
	if !f.decodeBody(w, r, &b) {
		return
	}
	switch {
	case b.Cmd != "":
		f.API.Violationf("exec: the deprecated cmd string was sent; send the argv in command")
		fail(w, http.StatusBadRequest, "cmd is deprecated: use command", "")
		return
	case len(b.Command) == 0 || b.Command[0] == "":
		fail(w, http.StatusBadRequest, "command is required", "")
		return
	case b.Timeout != nil && *b.Timeout < 0:
		fail(w, http.StatusBadRequest, "invalid timeout", "")
		return
	}
	f.withMachine(w, r, false, func(a *fApp, m *fMachine) {
		switch m.state {
		case stateDestroyed, stateDestroying:
			fail(w, http.StatusNotFound, "machine not found", "not_found")
			return
		case stateStarted:
		default:
			fail(w, http.StatusPreconditionFailed, "failed_precondition: machine is not started (currently "+m.state+")", "")
			return
		}
		apifake.WriteJSON(w, http.StatusOK, run(a, m, b.Command))
	})
}

// run is the fake's guest: a few commands, deterministic, over the machine's own state. echo,
// printenv (the config's env and the app's secrets, as Fly sets both), cat (the config's
// files), true, false, and sh -c with a script of those and `exit N` and `kill -N $$`
// separated by ';' (words split on blanks, no quoting; a trailing >&2 sends a command's output
// to stderr). Anything else exits 127 with "command not found", as a shell does.
func run(a *fApp, m *fMachine, argv []string) execReply {
	var out execReply
	if argv[0] != "sh" || len(argv) != 3 || argv[1] != "-c" {
		out.ExitCode = simple(a, m, argv, &out.Stdout, &out.Stderr)
		return out
	}
	for _, stmt := range strings.Split(argv[2], ";") {
		words := strings.Fields(stmt)
		if len(words) == 0 {
			continue
		}
		switch {
		case words[0] == "exit":
			n := 0
			if len(words) > 1 {
				n, _ = strconv.Atoi(words[1])
			}
			out.ExitCode = n & 0xff
			return out
		case words[0] == "kill" && len(words) == 3 && words[2] == "$$" && strings.HasPrefix(words[1], "-"):
			sig, err := strconv.Atoi(words[1][1:])
			if err == nil && sig > 0 {
				out.ExitCode, out.ExitSignal = 0, sig
				return out
			}
		}
		toErr := words[len(words)-1] == ">&2"
		if toErr {
			words = words[:len(words)-1]
		}
		stdout := &out.Stdout
		if toErr {
			stdout = &out.Stderr
		}
		out.ExitCode = simple(a, m, words, stdout, &out.Stderr)
	}
	return out
}

// simple runs one command of the fake's set and returns its exit status.
func simple(a *fApp, m *fMachine, argv []string, stdout, stderr *string) int {
	env := maps.Clone(m.config.Env)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, a.secrets)
	switch argv[0] {
	case "true":
		return 0
	case "false":
		return 1
	case "echo":
		*stdout += strings.Join(argv[1:], " ") + "\n"
		return 0
	case "printenv":
		if len(argv) == 1 {
			for _, k := range slices.Sorted(maps.Keys(env)) {
				*stdout += k + "=" + env[k] + "\n"
			}
			return 0
		}
		code := 0
		for _, k := range argv[1:] {
			v, ok := env[k]
			if !ok {
				code = 1
				continue
			}
			*stdout += v + "\n"
		}
		return code
	case "cat":
		code := 0
		for _, p := range argv[1:] {
			text, ok := fileOf(a, m, p)
			if !ok {
				*stderr += fmt.Sprintf("cat: %s: No such file or directory\n", p)
				code = 1
				continue
			}
			*stdout += text
		}
		return code
	}
	*stderr += fmt.Sprintf("sh: %s: command not found\n", argv[0])
	return 127
}

// fileOf returns the content of the config file at path: its raw value, or the app secret it
// names, both base64 on the wire.
func fileOf(a *fApp, m *fMachine, path string) (string, bool) {
	for _, fl := range m.config.Files {
		if fl.GuestPath != path {
			continue
		}
		enc := fl.RawValue
		if fl.SecretName != "" {
			enc = a.secrets[fl.SecretName]
		}
		raw, err := base64.StdEncoding.DecodeString(enc)
		return string(raw), err == nil
	}
	return "", false
}
