package e2btest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/internal/apifake"
)

// The fake's envd: process.Process/Start of the Connect protocol with the JSON codec, as the
// sandbox proxy passes it on (e2b-dev/E2B spec/envd/process/process.proto; envd's auth
// middleware and permissions in e2b-dev/infra packages/envd). It is reached on the API's own
// server, routed as the proxy routes a shared sandbox host (E2B_SANDBOX_URL): by the
// E2b-Sandbox-Id and E2b-Sandbox-Port headers, or by a <port>-<id>.<domain> Host.
//
// It models: the proxy's 502 for an unknown or paused sandbox, and its resume of a paused
// sandbox with autoResume; envd's 401 JSON for a secure sandbox's missing or wrong
// X-Access-Token (it answers before Connect, not as a Connect error); 415 for a content type
// other than application/connect+json; Connect errors in the end-of-stream message (HTTP 200)
// for a body that does not decode strictly (invalid_argument; stdin is an unknown field
// before envd 0.3.0) and for a missing user before envd 0.4.0 (unauthenticated, "no user
// specified"). The process is `/bin/bash -l -c LINE`, LINE split as a POSIX shell splits
// quoted words; unquoted shell syntax is not run (exit 2). Commands: `echo WORDS...`,
// `printenv NAME` (the sandbox's envVars and the request's envs), `exit N`, `sh -c 'kill -N
// $$'` (or bash: killed by signal N); anything else is bash's 127 "command not found" on
// stderr. Events: start, a keepalive, stdout and stderr as separate data events, end as
// envd's handler makes it from Go's os.ProcessState (exited, exitCode left out when 0 as the
// JSON mapping does, "exit status N" as the error of a non-zero exit; for a signal exited
// false, exitCode -1, "signal: killed"). Fake.EnvdStreamError ends the next stream with a
// Connect error after the start event.

// EnvdPath is the route of process.Process/Start.
const EnvdPath = "/process.Process/Start"

// DefaultEnvdVersion is the envd version new sandboxes report unless Fake.EnvdVersion is set.
const DefaultEnvdVersion = "0.2.4"

const (
	envdPort    = "49983"
	connectJSON = "application/connect+json"
	endStream   = 0x02
)

type envdStart struct {
	Process struct {
		Cmd  string            `json:"cmd"`
		Args []string          `json:"args"`
		Envs map[string]string `json:"envs"`
		Cwd  *string           `json:"cwd"`
	} `json:"process"`
	PTY   json.RawMessage `json:"pty"`
	Tag   *string         `json:"tag"`
	Stdin *bool           `json:"stdin"`
}

// SetEnvdToken makes sandbox id's envd accept only tok from now on, as if envd had been given
// a new access token after the client read the old one.
func (f *Fake) SetEnvdToken(id, tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if sb, ok := f.sandboxes[id]; ok {
		sb.EnvdToken = tok
	}
}

func (f *Fake) envdStart(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-API-Key") != "" {
		f.API.Violationf("POST %s: the team's API key was sent to a sandbox", EnvdPath)
	}
	id, ok := f.envdTarget(r)
	if !ok {
		fail(w, http.StatusBadRequest, "missing sandbox id: send E2b-Sandbox-Id and E2b-Sandbox-Port, or use the <port>-<id>.<domain> host")
		return
	}
	f.mu.Lock()
	sb := f.sandboxes[id]
	if sb != nil && sb.State == "paused" && sb.AutoResume {
		f.wake(sb, int(sb.EndAt.Sub(sb.StartedAt).Seconds())+1) // the proxy resumes it
	}
	var snap Sandbox
	if sb != nil {
		snap = *sb
	}
	f.pids++
	pid := 1000 + f.pids
	streamErr := ""
	if sb != nil && snap.State == "running" {
		streamErr, f.EnvdStreamError = f.EnvdStreamError, ""
	}
	f.mu.Unlock()
	switch {
	case sb == nil || snap.State != "running":
		apifake.WriteJSON(w, http.StatusBadGateway, map[string]any{"code": http.StatusBadGateway, "message": "The sandbox was not found", "sandboxId": id})
		return
	case snap.Secure && r.Header.Get("X-Access-Token") != snap.EnvdToken:
		apifake.WriteJSON(w, http.StatusUnauthorized, map[string]any{"code": http.StatusUnauthorized,
			"message": "unauthorized access, please provide a valid access token or method signing if supported"})
		return
	case r.Header.Get("Content-Type") != connectJSON:
		w.Header().Set("Accept-Post", "application/connect+json, application/connect+proto")
		w.WriteHeader(http.StatusUnsupportedMediaType)
		return
	}
	if v := r.Header.Get("Connect-Timeout-Ms"); v != "" {
		if n, err := strconv.ParseUint(v, 10, 64); err != nil || len(v) > 10 || n == 0 {
			f.API.Violationf("POST %s: Connect-Timeout-Ms %q is not 1-10 digits", EnvdPath, v)
		}
	}
	w.Header().Set("Content-Type", connectJSON)
	req, err := f.decodeStart(r, snap.EnvdVersion)
	if err != nil {
		writeEndStream(w, "invalid_argument", err.Error())
		return
	}
	if !versionAtLeast(snap.EnvdVersion, "0.4.0") && basicUser(r) == "" {
		writeEndStream(w, "unauthenticated", "no user specified")
		return
	}
	if u := basicUser(r); u != "" && u != "user" && u != "root" {
		writeEndStream(w, "unauthenticated", fmt.Sprintf("invalid username: '%s'", u))
		return
	}
	env := map[string]string{}
	for k, v := range snap.EnvVars {
		env[k] = v
	}
	for k, v := range req.Process.Envs {
		env[k] = v
	}
	out := run(req, env)
	writeEvent(w, map[string]any{"start": map[string]any{"pid": pid}})
	if streamErr != "" {
		writeEndStream(w, streamErr, "the stream failed")
		return
	}
	writeEvent(w, map[string]any{"keepalive": map[string]any{}})
	if out.stdout != "" {
		writeEvent(w, map[string]any{"data": map[string]any{"stdout": []byte(out.stdout)}})
	}
	if out.stderr != "" {
		writeEvent(w, map[string]any{"data": map[string]any{"stderr": []byte(out.stderr)}})
	}
	writeEvent(w, map[string]any{"end": out.end()})
	writeFrame(w, endStream, []byte("{}"))
}

// outcome is how the fake's process ended: exit code, or the signal that killed it.
type outcome struct {
	code, signal   int
	stdout, stderr string
}

// signalNames are the names Go's os.ProcessState gives signals on Linux, which envd
// reports; others are "signal N".
var signalNames = map[int]string{1: "hangup", 2: "interrupt", 3: "quit", 6: "aborted", 9: "killed", 13: "broken pipe", 15: "terminated"}

// end is the ProcessEvent.End envd's handler makes from Go's os.ProcessState and the error of
// cmd.Wait: exited with its code (left out when 0, as the JSON mapping does) and, when not 0,
// the error "exit status N"; killed by a signal, not exited, exitCode -1 and "signal: NAME" as
// both status and error.
func (o outcome) end() map[string]any {
	if o.signal != 0 {
		name, ok := signalNames[o.signal]
		if !ok {
			name = fmt.Sprintf("signal %d", o.signal)
		}
		text := "signal: " + name
		return map[string]any{"exitCode": -1, "status": text, "error": text}
	}
	end := map[string]any{"exited": true, "status": fmt.Sprintf("exit status %d", o.code)}
	if o.code != 0 {
		end["exitCode"], end["error"] = o.code, fmt.Sprintf("exit status %d", o.code)
	}
	return end
}

// envdTarget is the sandbox a request is for: the Host's <port>-<id> label, else the
// routing headers.
func (f *Fake) envdTarget(r *http.Request) (string, bool) {
	label, _, _ := strings.Cut(r.Host, ".")
	if port, id, ok := strings.Cut(label, "-"); ok && port == envdPort && id != "" {
		return id, true
	}
	id, port := r.Header.Get("E2b-Sandbox-Id"), r.Header.Get("E2b-Sandbox-Port")
	if id == "" || port == "" {
		return "", false
	}
	if port != envdPort {
		f.API.Violationf("POST %s: E2b-Sandbox-Port %q, envd is on %s", EnvdPath, port, envdPort)
	}
	return id, true
}

// decodeStart reads the one enveloped StartRequest strictly. A request the provider should
// never send is also a violation.
func (f *Fake) decodeStart(r *http.Request, version string) (envdStart, error) {
	var req envdStart
	body, _ := io.ReadAll(r.Body)
	if len(body) < 5 || int(binary.BigEndian.Uint32(body[1:5])) != len(body)-5 || body[0] != 0 {
		f.API.Violationf("POST %s: body is not one uncompressed Connect envelope", EnvdPath)
		return req, fmt.Errorf("protocol error: malformed envelope")
	}
	dec := json.NewDecoder(bytes.NewReader(body[5:]))
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if err == nil && req.Stdin != nil && !versionAtLeast(version, "0.3.0") {
		err = fmt.Errorf(`unknown field "stdin"`)
	}
	if err != nil {
		f.API.Violationf("POST %s: body %s: %v", EnvdPath, body[5:], err)
		return req, fmt.Errorf("unmarshal into process.StartRequest: %w", err)
	}
	if req.PTY != nil || req.Tag != nil {
		f.API.Violationf("POST %s: pty or tag sent; exec wants neither", EnvdPath)
	}
	return req, nil
}

// run runs the request's process: only /bin/bash -l -c LINE.
func run(req envdStart, env map[string]string) outcome {
	p := req.Process
	if p.Cmd != "/bin/bash" || len(p.Args) != 3 || p.Args[0] != "-l" || p.Args[1] != "-c" {
		return outcome{code: 2, stderr: fmt.Sprintf("fake envd runs only /bin/bash -l -c LINE, not %s %q\n", p.Cmd, p.Args)}
	}
	words, err := splitWords(p.Args[2])
	if err != nil {
		return outcome{code: 2, stderr: "fake envd: " + err.Error() + "\n"}
	}
	if len(words) == 0 {
		return outcome{}
	}
	switch args := words[1:]; words[0] {
	case "echo":
		return outcome{stdout: strings.Join(args, " ") + "\n"}
	case "printenv":
		v, ok := env[strings.Join(args, "")]
		if len(args) != 1 || !ok {
			return outcome{code: 1}
		}
		return outcome{stdout: v + "\n"}
	case "exit":
		n := 0
		if len(args) > 0 {
			var err error
			if n, err = strconv.Atoi(args[0]); err != nil {
				return outcome{code: 2, stderr: fmt.Sprintf("bash: line 1: exit: %s: numeric argument required\n", args[0])}
			}
		}
		return outcome{code: n & 0xff}
	case "sh", "bash":
		return selfKill(words[0], args)
	}
	return outcome{code: 127, stderr: fmt.Sprintf("bash: line 1: %s: command not found\n", words[0])}
}

// selfKill runs `sh -c 'kill -N $$'` (or bash), the only script the fake runs: the shell
// signals itself and, bash running a one-command -c line by exec, it is the process envd
// waits for, killed by signal N.
func selfKill(shell string, args []string) outcome {
	if len(args) == 2 && args[0] == "-c" && strings.HasPrefix(args[1], "kill -") {
		if num, ok := strings.CutSuffix(args[1][len("kill -"):], " $$"); ok {
			if n, err := strconv.Atoi(num); err == nil && n > 0 && n < 65 {
				return outcome{signal: n}
			}
		}
	}
	return outcome{code: 2, stderr: fmt.Sprintf("fake envd: %s runs only -c 'kill -N $$', not %q\n", shell, args)}
}

// splitWords splits line as a POSIX shell splits words: blanks separate, '...' is literal,
// "..." keeps \ before $ ` " \ and newline, a backslash outside quotes escapes the next
// character. Unquoted shell syntax (operators, expansions, globs, comments) is refused.
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
			continue
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated single quote")
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '$' || line[i] == '`' {
					return nil, fmt.Errorf("expansion %q inside double quotes is not modelled", line[i])
				}
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("$`\"\\\n", line[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, fmt.Errorf("unterminated double quote")
			}
		case c == '\\':
			if i+1 < len(line) {
				i++
				cur.WriteByte(line[i])
			}
		case strings.IndexByte(";&|<>()$`*?[", c) >= 0, (c == '#' || c == '~') && !inWord:
			return nil, fmt.Errorf("unquoted %q is shell syntax the fake does not run", c)
		default:
			cur.WriteByte(c)
		}
		inWord = true
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// basicUser is the user named by an Authorization: Basic header ("" when none).
func basicUser(r *http.Request) string {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Basic ")
	if !ok {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	user, _, _ := strings.Cut(string(b), ":")
	return user
}

func writeEvent(w io.Writer, event map[string]any) {
	b, _ := json.Marshal(map[string]any{"event": event})
	writeFrame(w, 0, b)
}

func writeEndStream(w http.ResponseWriter, code, message string) {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": message}})
	writeFrame(w, endStream, b)
}

func writeFrame(w io.Writer, flags byte, msg []byte) {
	head := make([]byte, 5)
	head[0] = flags
	binary.BigEndian.PutUint32(head[1:], uint32(len(msg)))
	_, _ = w.Write(append(head, msg...))
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
}

// versionAtLeast compares dotted numeric versions.
func versionAtLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := range max(len(a), len(b)) {
		x, y := 0, 0
		if i < len(a) {
			x, _ = strconv.Atoi(a[i])
		}
		if i < len(b) {
			y, _ = strconv.Atoi(b[i])
		}
		if x != y {
			return x > y
		}
	}
	return true
}
