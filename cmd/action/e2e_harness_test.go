package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"gopkg.in/yaml.v3"

	"github.com/sindri/deploy/v3/internal/testdocker"
	"github.com/sindri/deploy/v3/internal/testports"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// The simulated repository: the payload fixtures are rewritten to name it.
const (
	e2eOwner = "Codertocat"
	e2eRepo  = "Hello-World"
	e2ePR    = 2
	e2eActor = "Codertocat"
	// shaOpened and shaPushed are the PR head before and after the synchronize push.
	shaOpened = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	shaPushed = "5c0ffee5c0ffee5c0ffee5c0ffee5c0ffee5c0ff"
)

// repoSim is one simulated repository with its runner: a GitHub API fake, a workspace holding
// sindri.yaml, a free port for the environment, and the process environment of the action.
type repoSim struct {
	t     *testing.T
	gh    *githubtest.Server
	token string
	dir   string // scratch: payloads, output files
	ws    string // GITHUB_WORKSPACE
	name  string // the config's name (unique per test)
	port  int
	runs  int
	// extraEnv is added to every invocation's environment (secrets, knobs).
	extraEnv map[string]string
	// invocations records every run, for leak checks.
	invocations []*result
	// secrets are replaced by *** in what the test logs.
	secrets []string
	// inProcess calls run instead of the binary (for the fast tests that deploy nothing).
	inProcess bool
}

// result is one finished invocation of the action binary.
type result struct {
	code    int
	stdout  string
	stderr  string
	outputs map[string]string
	summary string
}

// newRepo starts the GitHub fake and writes a sindri.yaml (the Docker provider, the test image,
// a free port on 127.0.0.1) with extra appended to it. With SINDRI_HEAVY=1 the action runs as
// the built binary and containers labelled with the environment are removed when the test
// ends, whatever happened; without it, the action runs in process (run), for tests that never
// reach Docker.
func newRepo(t *testing.T, extra string) *repoSim {
	t.Helper()
	r := &repoSim{t: t, token: "ghs_e2e" + randHex(8), dir: t.TempDir(), name: "e2e-" + randHex(4),
		port: freePort(t), extraEnv: map[string]string{}}
	r.secrets = []string{r.token}
	r.gh = githubtest.New(t, e2eOwner, e2eRepo, r.token)
	r.ws = filepath.Join(r.dir, "workspace")
	if err := os.MkdirAll(r.ws, 0o755); err != nil {
		t.Fatal(err)
	}
	r.writeFile("sindri.yaml", r.config(extra))
	if suite.heavy {
		t.Cleanup(func() { removeEnv(t, r.env()) })
	} else {
		r.inProcess = true
	}
	return r
}

func (r *repoSim) config(extra string) string {
	return fmt.Sprintf(`version: "3.0"
name: %s
deployment:
  provider: docker
  image: %s
  resources:
    memory: 256MB
    cpus: 1
extensions:
  profile: minimal
providers:
  docker:
    ports:
      - "%d:8080"
%s`, r.name, testImage, r.port, extra)
}

// env is the environment name the action derives for the PR (the default template).
func (r *repoSim) env() string { return fmt.Sprintf("%s-pr-%d", r.name, e2ePR) }

// url is the environment's URL while it is deployed.
func (r *repoSim) url() string { return fmt.Sprintf("http://127.0.0.1:%d", r.port) }

func (r *repoSim) writeFile(rel, text string) {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(r.ws, rel), []byte(text), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// invoke runs the action binary once, as the runner runs a container action's step: a fresh
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, a new GITHUB_RUN_ID, every input of action.yml set
// (its default unless inputs names it).
func (r *repoSim) invoke(event string, payload []byte, inputs map[string]string) *result {
	r.t.Helper()
	r.runs++
	n := strconv.Itoa(r.runs)
	eventPath := filepath.Join(r.dir, "event-"+n+".json")
	outPath := filepath.Join(r.dir, "output-"+n)
	sumPath := filepath.Join(r.dir, "summary-"+n)
	for path, data := range map[string][]byte{eventPath: payload, outPath: nil, sumPath: nil} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	home := filepath.Join(r.dir, "home")
	_ = os.MkdirAll(home, 0o700)
	env := map[string]string{
		"PATH":                os.Getenv("PATH"),
		"HOME":                home,
		"GITHUB_ACTIONS":      "true",
		"GITHUB_EVENT_NAME":   event,
		"GITHUB_EVENT_PATH":   eventPath,
		"GITHUB_OUTPUT":       outPath,
		"GITHUB_STEP_SUMMARY": sumPath,
		"GITHUB_REPOSITORY":   e2eOwner + "/" + e2eRepo,
		"GITHUB_WORKSPACE":    r.ws,
		"GITHUB_RUN_ID":       strconv.Itoa(7000 + r.runs),
		"GITHUB_RUN_ATTEMPT":  "1",
		"GITHUB_SERVER_URL":   "https://github.com",
		"GITHUB_API_URL":      strings.TrimRight(r.gh.URL, "/"),
		"GITHUB_ACTOR":        e2eActor,
	}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		env["DOCKER_HOST"] = h
	}
	for name, def := range actionDefaults(r.t) {
		if def == "${{ github.token }}" {
			def = r.token
		}
		env[inputVar(name)] = def
	}
	for name, v := range inputs {
		env[inputVar(name)] = v
	}
	for k, v := range r.extraEnv {
		env[k] = v
	}
	ctx, cancel := context.WithTimeout(r.t.Context(), 4*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	res := &result{code: -1}
	if r.inProcess {
		// The same entry point main calls, with the same environment as a map.
		res.code = run(ctx, nil, func(k string) string { return env[k] }, &stdout, &stderr)
	} else {
		cmd := exec.CommandContext(ctx, suite.bin)
		cmd.Dir = r.ws
		cmd.Env = envList(env)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				res.code = ee.ExitCode()
			} else {
				r.t.Fatalf("run the action: %v", err)
			}
		} else {
			res.code = 0
		}
	}
	res.stdout, res.stderr = stdout.String(), stderr.String()
	res.outputs = readOutputs(r.t, outPath)
	b, err := os.ReadFile(sumPath)
	if err != nil {
		r.t.Fatal(err)
	}
	res.summary = string(b)
	r.invocations = append(r.invocations, res)
	r.t.Logf("%s run %s: exit %d\n--- stdout\n%s--- stderr\n%s", event, n, res.code, r.redact(res.stdout), r.redact(res.stderr))
	return res
}

// redact hides the test's secrets from what it logs.
func (r *repoSim) redact(s string) string {
	for _, v := range r.secrets {
		s = strings.ReplaceAll(s, v, "***")
	}
	return s
}

// inputVar is the variable the runner sets for an input: INPUT_ and the name upper-cased,
// spaces as underscores, dashes kept.
func inputVar(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

func envList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

var (
	defaultsOnce sync.Once
	defaults     map[string]string
	defaultsErr  error
)

// actionDefaults reads every input's default from action.yml, as the runner applies them.
func actionDefaults(t *testing.T) map[string]string {
	t.Helper()
	defaultsOnce.Do(func() {
		b, err := os.ReadFile("../../action.yml")
		if err != nil {
			defaultsErr = err
			return
		}
		var meta struct {
			Inputs map[string]struct {
				Default string `yaml:"default"`
			} `yaml:"inputs"`
		}
		if defaultsErr = yaml.Unmarshal(b, &meta); defaultsErr != nil {
			return
		}
		defaults = map[string]string{}
		for name, in := range meta.Inputs {
			defaults[name] = in.Default
		}
	})
	if defaultsErr != nil {
		t.Fatalf("action.yml: %v", defaultsErr)
	}
	return defaults
}

// readOutputs parses a GITHUB_OUTPUT file: name=value lines and name<<DELIM heredocs.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if name, delim, ok := strings.Cut(l, "<<"); ok {
			var val []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			if i == len(lines) {
				t.Fatalf("GITHUB_OUTPUT: %s: no closing delimiter", name)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT: unreadable line %q", l)
		}
		out[name] = val
	}
	return out
}

// annotations returns the workflow-command annotations of kind (error, warning, notice) in
// the action's stdout.
func (res *result) annotations(kind string) []string {
	var out []string
	for _, l := range strings.Split(res.stdout, "\n") {
		if strings.HasPrefix(l, "::"+kind+"::") || strings.HasPrefix(l, "::"+kind+" ") {
			out = append(out, l)
		}
	}
	return out
}

// payload loads testdata/events/<name> and rewrites it to the simulated repository.
func payload(t *testing.T, name string, edit func(p map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	full := e2eOwner + "/" + e2eRepo
	if repo, ok := p["repository"].(map[string]any); ok {
		repo["full_name"], repo["name"] = full, e2eRepo
	}
	if pr, ok := p["pull_request"].(map[string]any); ok {
		p["number"] = e2ePR
		pr["number"] = e2ePR
		pr["draft"] = false
		for _, side := range []string{"head", "base"} {
			if s, ok := pr[side].(map[string]any); ok {
				if repo, ok := s["repo"].(map[string]any); ok {
					repo["full_name"] = full
				}
			}
		}
	}
	if edit != nil {
		edit(p)
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// prPayload is a pull_request event for the simulated PR with head sha.
func prPayload(t *testing.T, action, sha string) []byte {
	return payload(t, "pr-"+action+".payload.json", func(p map[string]any) {
		pr := p["pull_request"].(map[string]any)
		pr["head"].(map[string]any)["sha"] = sha
		if action == "closed" {
			pr["state"] = "closed"
		}
	})
}

// commentPayload is an issue_comment event (action created, edited or deleted) on the
// simulated PR, for comment id with body by user.
func commentPayload(t *testing.T, action string, id int64, user, body string) []byte {
	return payload(t, "comment-"+action+".payload.json", func(p map[string]any) {
		issue := p["issue"].(map[string]any)
		issue["number"] = e2ePR
		issue["state"] = "open"
		issue["pull_request"] = map[string]any{
			"url": fmt.Sprintf("https://api.github.com/repos/%s/%s/pulls/%d", e2eOwner, e2eRepo, e2ePR),
		}
		c := p["comment"].(map[string]any)
		c["id"], c["body"] = id, body
		u := c["user"].(map[string]any)
		u["login"], u["type"] = user, "User"
		p["sender"].(map[string]any)["login"] = user
	})
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freePort returns a host port for a container to publish; see testports for why it is
// not a port-0 bind.
func freePort(t *testing.T) int {
	t.Helper()
	return testports.Free(t)
}

// httpGet fetches url once with a short timeout.
func httpGet(url string) (int, string, error) {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// httpGetReady is httpGet for an environment just reported ready: transport errors (a
// connection reset while the engine's port proxy settles on a loaded machine) are retried for
// up to 5 s; any HTTP answer is returned at once.
func httpGetReady(url string) (int, string, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, body, err := httpGet(url)
		if err == nil || time.Now().After(deadline) {
			return code, body, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func dockerClient(t *testing.T) *client.Client {
	t.Helper()
	cli, err := client.New(client.WithHost(suite.engine), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// leftovers lists the containers, volumes and networks labelled with env.
func leftovers(t *testing.T, env string) []string {
	t.Helper()
	return testdocker.Leftovers(t, dockerClient(t), env)
}

// removeEnv force-removes whatever a failed test left labelled with env.
func removeEnv(t *testing.T, env string) {
	t.Helper()
	cli := dockerClient(t)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), time.Minute)
	defer cancel()
	f := make(client.Filters).Add("label", providers.LabelEnv+"="+env)
	if cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f}); err == nil {
		for _, c := range cs.Items {
			_, _ = cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		}
	}
	if vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f}); err == nil {
		for _, v := range vs.Items {
			_, _ = cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true})
		}
	}
	if ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f}); err == nil {
		for _, n := range ns.Items {
			_, _ = cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{})
		}
	}
}

// normalizer replaces the volatile parts of rendered text (environment name, port, job ids,
// durations, timestamps) with stable placeholders, for golden files.
func (r *repoSim) normalize(s string) string {
	s = strings.ReplaceAll(s, r.env(), "ENV")
	s = strings.ReplaceAll(s, r.name, "NAME")
	s = strings.ReplaceAll(s, strconv.Itoa(r.port), "PORT")
	s = strings.ReplaceAll(s, suite.engine, "ENGINE")
	for _, re := range volatile {
		s = re.re.ReplaceAllString(s, re.with)
	}
	return s
}

var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "JOB-ID"},
	{regexp.MustCompile(`\| Duration \| [^|]+ \|`), "| Duration | DURATION |"},
	{regexp.MustCompile(`took [0-9hms]+`), "took DURATION"},
	// The Dev Containers link names the container (the run's environment) hex-encoded.
	{regexp.MustCompile(`(attached-container%2B)[0-9a-f]+`), "${1}CONTAINER"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`), "TIME"},
	{regexp.MustCompile(`docker -H \S+ `), "docker "},
	{regexp.MustCompile(`( cost=)[0-9a-z.,-]+( -->)`), "${1}USAGE${2}"},
	{regexp.MustCompile(`\d+h\d+m running, \d+h\d+m stopped`), "TIME running, TIME stopped"},
	{regexp.MustCompile(`( deployment=)[0-9]+( closed=[01](?: provider=[a-z0-9-]+)?(?: cost=USAGE)? -->)`), "${1}DEPLOYMENT-ID${2}"},
}

// golden compares got with testdata/golden/<name>, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// stickyComments returns the PR's comments that carry env's hidden marker.
func (r *repoSim) stickyComments() []githubtest.Comment {
	var out []githubtest.Comment
	for _, c := range r.gh.Comments(e2ePR) {
		if m, ok := github.ParseMarker(c.Body); ok && m.Env == r.env() {
			out = append(out, c)
		}
	}
	return out
}

// marker returns what the sticky comment's marker says; it fails the test unless there is
// exactly one sticky comment.
func (r *repoSim) marker() github.Sticky {
	r.t.Helper()
	sticky := r.stickyComments()
	if len(sticky) != 1 {
		r.t.Fatalf("%d sticky comments for %s, want 1", len(sticky), r.env())
	}
	m, _ := github.ParseMarker(sticky[0].Body)
	return m
}

// theDeployment returns the fake's one Deployment's statuses, oldest first, and their states
// joined with commas; it fails the test when there is not exactly one Deployment.
func (r *repoSim) theDeployment() ([]githubtest.DeploymentStatus, string) {
	r.t.Helper()
	deps := r.gh.Deployments()
	if len(deps) != 1 {
		r.t.Fatalf("deployments %+v, want 1", deps)
	}
	sts := r.gh.Statuses(deps[0].ID)
	states := make([]string, len(sts))
	for i, st := range sts {
		states[i] = st.State
	}
	return sts, strings.Join(states, ",")
}

// requestLog renders the fake's request log for the request report: the requests that count
// against GitHub's primary rate limit, the conditional GETs answered 304 Not Modified (which
// do not), and the per-route counts with their 304s.
func requestLog(gh *githubtest.Server) string {
	m, nm := gh.Counts(), gh.NotModifiedCounts()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d counted, %d conditional 304", gh.Counted(), gh.NotModified())
	for _, k := range keys {
		fmt.Fprintf(&b, "; %s ×%d", k, m[k])
		if nm[k] > 0 {
			fmt.Fprintf(&b, " (304 ×%d)", nm[k])
		}
	}
	return b.String()
}
