package e2b

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// envd's process API is Connect-RPC (service process.Process) with the JSON codec. Start is
// server-streaming: the request is one enveloped message, the response a series of enveloped
// ProcessEvents and a last end-of-stream envelope carrying the error, if any.
const (
	envdStartPath = "/process.Process/Start"
	connectJSON   = "application/connect+json"
	// flagEndStream marks the end-of-stream envelope; flagCompressed a compressed one, which
	// is never asked for.
	flagCompressed = 0x01
	flagEndStream  = 0x02
	// maxEnvelope bounds one message of the stream: output arrives in small chunks.
	maxEnvelope = 16 << 20
	// keepaliveSeconds asks envd for a keepalive event this often, so that the sandbox proxy
	// does not close a quiet stream (the SDKs' value).
	keepaliveSeconds = 50
	// envdStdinVersion is the first envd that takes StartRequest.stdin (older ones refuse the
	// field and keep standard input open); envdDefaultUserVersion the first that runs a
	// command as the template's user when the request names none (older ones need the SDKs'
	// "user", named in a Basic Authorization header with an empty password).
	envdStdinVersion       = "0.3.0"
	envdDefaultUserVersion = "0.4.0"
	envdLegacyUser         = "user"
)

// startRequest is process.StartRequest in the proto3 JSON mapping.
type startRequest struct {
	Process processConfig `json:"process"`
	Stdin   *bool         `json:"stdin,omitempty"`
}

type processConfig struct {
	Cmd  string   `json:"cmd"`
	Args []string `json:"args"`
}

// startResponse is process.StartResponse: one event. Absent fields are zero in the JSON
// mapping (an exit code of 0 is left out).
type startResponse struct {
	Event struct {
		Start *struct {
			PID uint32 `json:"pid"`
		} `json:"start"`
		Data *struct {
			Stdout []byte `json:"stdout"`
			Stderr []byte `json:"stderr"`
			Pty    []byte `json:"pty"`
		} `json:"data"`
		End       *endEvent `json:"end"`
		Keepalive *struct{} `json:"keepalive"`
	} `json:"event"`
}

type endEvent struct {
	ExitCode int     `json:"exitCode"`
	Exited   bool    `json:"exited"`
	Status   string  `json:"status"`
	Error    *string `json:"error"`
}

// endStream is the Connect end-of-stream message.
type endStream struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// connectStatus is the HTTP status the Connect protocol gives each error code, so that an
// error inside the stream matches the same sentinels as an HTTP one (providers.APIError.Is).
var connectStatus = map[string]int{
	"canceled": 499, "unknown": 500, "invalid_argument": 400, "deadline_exceeded": 504,
	"not_found": 404, "already_exists": 409, "permission_denied": 403, "resource_exhausted": 429,
	"failed_precondition": 400, "aborted": 409, "out_of_range": 400, "unimplemented": 501,
	"internal": 500, "unavailable": 503, "data_loss": 500, "unauthenticated": 401,
}

// runEnvd runs line with `/bin/bash -l -c` in running sandbox sb (a GET answer: its envd
// version and token), copying its output to stdout and stderr, and returns its exit code.
// The request is sent once and never again: once envd may have it, the command may be
// running, so every failure after that is an execUnansweredError, which no retry takes up,
// but envd's 401 (ErrAuth: it refused the token before running anything). The access token
// is redacted from every error, and is sent only to a checked host (envdURL).
func (p *Provider) runEnvd(ctx context.Context, sb sandbox, line string, stdout, stderr io.Writer) (int, error) {
	op := "run command in sandbox " + sb.SandboxID
	body := startRequest{Process: processConfig{Cmd: "/bin/bash", Args: []string{"-l", "-c", line}}}
	if versionAtLeast(sb.EnvdVersion, envdStdinVersion) {
		body.Stdin = ptr(false)
	}
	msg, err := json.Marshal(body)
	if err != nil {
		return 0, fmt.Errorf("e2b: %s: %w", op, err)
	}
	url, err := p.envdURL(sb)
	if err != nil {
		return 0, fmt.Errorf("e2b: %s: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(envelope(0, msg)))
	if err != nil {
		return 0, fmt.Errorf("e2b: %s: %w", op, err)
	}
	req.Header.Set("Content-Type", connectJSON)
	req.Header.Set("Connect-Protocol-Version", "1")
	req.Header.Set("Keepalive-Ping-Interval", strconv.Itoa(keepaliveSeconds))
	// The proxy routes by these on a shared sandbox host; on <port>-<id>.<domain> they agree
	// with the host name.
	req.Header.Set("E2b-Sandbox-Id", sb.SandboxID)
	req.Header.Set("E2b-Sandbox-Port", strconv.Itoa(envdPort))
	if dl, ok := ctx.Deadline(); ok {
		req.Header.Set("Connect-Timeout-Ms", strconv.FormatInt(max(1, time.Until(dl).Milliseconds()), 10))
	}
	if sb.EnvdAccessToken != "" {
		req.Header.Set("X-Access-Token", sb.EnvdAccessToken)
	}
	if !versionAtLeast(sb.EnvdVersion, envdDefaultUserVersion) {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(envdLegacyUser+":")))
	}
	redact := rest.NewRedactor(sb.EnvdAccessToken)
	code, err := p.sendEnvd(req, op, url, redact, stdout, stderr)
	if err != nil && !errors.Is(err, providers.ErrAuth) {
		return 0, unanswered(ctx, err, redact)
	}
	return code, err
}

// sendEnvd sends Start request req and reads its answer to the command's end.
func (p *Provider) sendEnvd(req *http.Request, op, url string, redact *rest.Redactor, stdout, stderr io.Writer) (int, error) {
	resp, err := p.envdClient().Do(req)
	if err != nil {
		return 0, fmt.Errorf("e2b: %s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		code, message, _ := rest.DecodeError(resp.StatusCode, resp.Header, b)
		return 0, envdError(op, url, resp.StatusCode, code, message, redact)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, connectJSON) {
		return 0, fmt.Errorf("e2b: %s: answer of type %q, want %s: %s is not envd", op, ct, connectJSON, url)
	}
	return readStream(bufio.NewReader(resp.Body), op, url, redact, stdout, stderr)
}

// readStream reads Start's events until the end of the stream and returns the command's exit
// code.
func readStream(r io.Reader, op, url string, redact *rest.Redactor, stdout, stderr io.Writer) (int, error) {
	var end *endEvent
	for {
		flags, msg, err := readEnvelope(r)
		switch {
		case errors.Is(err, io.EOF) && end != nil:
			return exitCode(end, op, redact) // a stream cut after the end event lost nothing
		case err != nil:
			return 0, fmt.Errorf("e2b: %s: the stream broke before the command ended (it may still run in the sandbox): %w", op, err)
		case flags&flagCompressed != 0:
			return 0, fmt.Errorf("e2b: %s: envd sent a compressed message, which was not asked for", op)
		case flags&flagEndStream != 0:
			return finish(msg, end, op, url, redact)
		}
		var ev startResponse
		if err := json.Unmarshal(msg, &ev); err != nil {
			return 0, fmt.Errorf("e2b: %s: event: %w", op, err)
		}
		if d := ev.Event.Data; d != nil {
			if _, err := stdout.Write(append(d.Stdout, d.Pty...)); err != nil {
				return 0, fmt.Errorf("e2b: %s: write output: %w", op, err)
			}
			if _, err := stderr.Write(d.Stderr); err != nil {
				return 0, fmt.Errorf("e2b: %s: write output: %w", op, err)
			}
		}
		if ev.Event.End != nil {
			end = ev.Event.End
		}
	}
}

// finish reads the end-of-stream message: an error there fails the call, else the end event
// gives the exit code.
func finish(msg []byte, end *endEvent, op, url string, redact *rest.Redactor) (int, error) {
	var es endStream
	if err := json.Unmarshal(msg, &es); err != nil {
		return 0, fmt.Errorf("e2b: %s: end of stream: %w", op, err)
	}
	switch {
	case es.Error != nil:
		status, ok := connectStatus[es.Error.Code]
		if !ok {
			status = http.StatusInternalServerError
		}
		return 0, envdError(op, url, status, es.Error.Code, es.Error.Message, redact)
	case end == nil:
		return 0, fmt.Errorf("e2b: %s: the stream ended without the command's end", op)
	}
	return exitCode(end, op, redact)
}

// exitCode is the exit code end reports, as envd's handler fills it from Go's
// os.ProcessState: a command that exited has exited true and its code (a non-zero one
// comes with the error "exit status N", which is no failure of the call); one a signal
// killed has exited false, exitCode -1 and the error and status "signal: NAME", and exits
// 128 plus the signal's number here, as a shell gives it.
func exitCode(end *endEvent, op string, redact *rest.Redactor) (int, error) {
	if end.Exited {
		return end.ExitCode, nil
	}
	text := end.Status
	if end.Error != nil {
		text = *end.Error
	}
	if n, ok := signalNumber(text); ok {
		return 128 + n, nil
	}
	if end.Error == nil && end.Status == "" {
		return end.ExitCode, nil // an envd that says nothing but the code
	}
	return 0, fmt.Errorf("e2b: %s: the command did not run to its end: %s", op, redact.String(text))
}

// linuxSignals are the numbers of the signals by the names Go gives them on Linux (envd's
// "signal: NAME").
var linuxSignals = map[string]int{
	"hangup": 1, "interrupt": 2, "quit": 3, "illegal instruction": 4, "trace/breakpoint trap": 5,
	"aborted": 6, "bus error": 7, "floating point exception": 8, "killed": 9,
	"user defined signal 1": 10, "segmentation fault": 11, "user defined signal 2": 12,
	"broken pipe": 13, "alarm clock": 14, "terminated": 15,
}

// signalNumber reads the signal out of text, "signal: killed", "signal: aborted (core
// dumped)" or, for a signal Go has no name for, "signal: signal 40".
func signalNumber(text string) (int, bool) {
	name, ok := strings.CutPrefix(text, "signal: ")
	if !ok {
		return 0, false
	}
	name = strings.TrimSuffix(name, " (core dumped)")
	if v, ok := strings.CutPrefix(name, "signal "); ok {
		n, err := strconv.Atoi(v)
		return n, err == nil && n > 0 && n < 128
	}
	n, ok := linuxSignals[name]
	return n, ok
}

// envdError is an error answer of envd or the sandbox proxy. runEnvd makes every one but the
// 401 an execUnansweredError: the command may have started.
func envdError(op, url string, status int, code, message string, redact *rest.Redactor) error {
	e := &providers.APIError{Provider: Name, Op: op, Method: http.MethodPost, URL: url, Status: status,
		Code: redact.String(code), Message: redact.String(message)}
	if status == http.StatusUnauthorized {
		return fmt.Errorf("%w; envd refused the sandbox's access token (X-Access-Token from GET /sandboxes/{id})", e)
	}
	return e
}

// envelope frames msg for the Connect streaming protocol: flags, a big-endian length, msg.
func envelope(flags byte, msg []byte) []byte {
	b := make([]byte, 5, 5+len(msg))
	b[0] = flags
	binary.BigEndian.PutUint32(b[1:], uint32(len(msg)))
	return append(b, msg...)
}

// readEnvelope reads one enveloped message. io.EOF means the stream ended between messages;
// a message cut short is io.ErrUnexpectedEOF.
func readEnvelope(r io.Reader) (flags byte, msg []byte, err error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n > maxEnvelope {
		return 0, nil, fmt.Errorf("message of %d bytes is over the %d limit", n, maxEnvelope)
	}
	msg = make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return head[0], msg, nil
}

// envdURL is Start's URL for sandbox sb: through Config.SandboxURL when set, else the
// sandbox's own envd host. The sandbox's id goes into the URL or a header either way, and its
// domain into the host, next to the access token: both are checked first (checkHost).
func (p *Provider) envdURL(sb sandbox) (string, error) {
	if err := checkSandboxID(sb.SandboxID); err != nil {
		return "", err
	}
	if p.cfg.SandboxURL != "" {
		return p.cfg.SandboxURL + envdStartPath, nil
	}
	domain, from := deref(sb.Domain), "the sandbox's domain in the API's answer"
	if domain == "" {
		domain, from = p.cfg.Domain, "E2B_DOMAIN (setting domain)"
	}
	if err := checkDomain(domain, from); err != nil {
		return "", err
	}
	return p.url(sb.SandboxID, domain, envdPort) + envdStartPath, nil
}

// envdClient is the configured HTTP client without redirects (the access token must not
// follow one to another host) and without a whole-request timeout of its own making: the
// command runs as long as the caller's ctx allows.
func (p *Provider) envdClient() *http.Client {
	c := http.Client{}
	if p.cfg.HTTPClient != nil {
		c = *p.cfg.HTTPClient
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// versionAtLeast compares dotted versions numerically ("0.10.0" >= "0.4.0"); an unknown
// version counts as old, which only sends what every envd takes.
func versionAtLeast(v, min string) bool {
	if v == "" {
		return false
	}
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := range max(len(a), len(b)) {
		x, y := 0, 0
		if i < len(a) {
			n, err := strconv.Atoi(strings.TrimLeft(a[i], "v"))
			if err != nil {
				return false
			}
			x = n
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
