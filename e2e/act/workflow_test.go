package act

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// exampleWorkflow is the workflow users copy; the test runs it with two changes only.
const exampleWorkflow = "../../examples/workflows/pr-preview.yml"

// outputMarker starts the lines the appended step prints, one per action output.
const outputMarker = "sindri-e2e "

// actionOutputs are the outputs the appended step prints.
var actionOutputs = []string{"job-id", "environment", "status", "url", "connect"}

var (
	errNoSindriStep = errors.New("workflow: no step uses sindri/deploy")
	errStepID       = errors.New("workflow: the sindri/deploy step needs an id of letters, digits, - or _")
	errRemoteAction = errors.New("workflow: remote action other than actions/checkout (cannot run offline)")
)

var stepIDPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// rewriteWorkflow returns the example workflow as the test runs it: the sindri/deploy step uses
// the local action (`uses: ./`, whose action.yml names the published image, which the test
// builds and tags locally), and one step is appended to that job that prints the step's
// outputs. Everything else stays as users copy it; actions/checkout without repository/ref is
// act's local checkout (it copies the workspace), so no other remote action may appear.
func rewriteWorkflow(src []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("workflow: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("workflow: not a single YAML document")
	}
	jobs := mapValue(doc.Content[0], "jobs")
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("workflow: no jobs")
	}
	found := 0
	for i := 1; i < len(jobs.Content); i += 2 {
		steps := mapValue(jobs.Content[i], "steps")
		if steps == nil || steps.Kind != yaml.SequenceNode {
			continue
		}
		var stepID string
		for _, step := range steps.Content {
			uses := mapValue(step, "uses")
			if uses == nil {
				continue
			}
			switch {
			case strings.HasPrefix(uses.Value, "sindri/deploy@"):
				id := mapValue(step, "id")
				if id == nil || !stepIDPattern.MatchString(id.Value) {
					return nil, errStepID
				}
				uses.Value = "./"
				stepID = id.Value
				found++
			case strings.HasPrefix(uses.Value, "actions/checkout@"):
				if mapValue(mapValue(step, "with"), "repository") != nil || mapValue(mapValue(step, "with"), "ref") != nil {
					return nil, fmt.Errorf("%w: %s with repository or ref", errRemoteAction, uses.Value)
				}
			case strings.HasPrefix(uses.Value, "./"), strings.HasPrefix(uses.Value, "docker://"):
			default:
				return nil, fmt.Errorf("%w: %s", errRemoteAction, uses.Value)
			}
		}
		if stepID != "" {
			echo, err := outputStep(stepID)
			if err != nil {
				return nil, err
			}
			steps.Content = append(steps.Content, echo)
		}
	}
	if found != 1 {
		return nil, fmt.Errorf("%w (found %d, want exactly 1)", errNoSindriStep, found)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("workflow: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("workflow: encode: %w", err)
	}
	return out.Bytes(), nil
}

// outputStep is the appended step: outputs reach the shell through env, never interpolated
// into the script, as the example itself does.
func outputStep(stepID string) (*yaml.Node, error) {
	var b strings.Builder
	b.WriteString("name: e2e outputs\nenv:\n")
	for _, o := range actionOutputs {
		fmt.Fprintf(&b, "  %s: ${{ steps.%s.outputs.%s }}\n", envName(o), stepID, o)
	}
	b.WriteString("run: |\n")
	for _, o := range actionOutputs {
		fmt.Fprintf(&b, "  echo \"%s%s=$%s\"\n", outputMarker, o, envName(o))
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(b.String()), &n); err != nil {
		return nil, fmt.Errorf("workflow: output step: %w", err)
	}
	return n.Content[0], nil
}

func envName(output string) string {
	return "OUT_" + strings.ToUpper(strings.ReplaceAll(output, "-", "_"))
}

// mapValue returns the value node of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// TestRewriteWorkflow runs in the quick suite: it keeps the example workflow runnable by the
// act test (one sindri/deploy step with an id, no remote action act cannot run offline) and
// checks that the rewrite changes nothing else.
func TestRewriteWorkflow(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(exampleWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rewriteWorkflow(src)
	if err != nil {
		t.Fatalf("rewriteWorkflow(%s): %v", exampleWorkflow, err)
	}

	type workflow struct {
		Jobs map[string]struct {
			Steps []map[string]any `yaml:"steps"`
		} `yaml:"jobs"`
	}
	var before, after workflow
	var topBefore, topAfter map[string]any
	for _, u := range []struct {
		src []byte
		v   any
	}{{src, &before}, {got, &after}, {src, &topBefore}, {got, &topAfter}} {
		if err := yaml.Unmarshal(u.src, u.v); err != nil {
			t.Fatalf("workflow does not parse: %v\n%s", err, u.src)
		}
	}
	for k, want := range topBefore {
		if k != "jobs" && fmt.Sprint(topAfter[k]) != fmt.Sprint(want) {
			t.Errorf("%s changed:\n got %v\nwant %v", k, topAfter[k], want)
		}
	}
	if len(topAfter) != len(topBefore) {
		t.Errorf("top-level keys: got %d, want %d", len(topAfter), len(topBefore))
	}
	for name, job := range before.Jobs {
		steps := after.Jobs[name].Steps
		if len(steps) != len(job.Steps)+1 {
			t.Fatalf("job %s: %d steps after rewrite, want %d + 1", name, len(steps), len(job.Steps))
		}
		for i, want := range job.Steps {
			got := steps[i]
			if want["uses"] == any("sindri/deploy@v3") {
				if got["uses"] != "./" {
					t.Errorf("job %s step %d: uses = %v, want ./", name, i, got["uses"])
				}
				want, got = without(want, "uses"), without(got, "uses")
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("job %s step %d changed:\n got %v\nwant %v", name, i, got, want)
			}
		}
		last := fmt.Sprint(steps[len(steps)-1])
		for _, o := range actionOutputs {
			if !strings.Contains(last, "steps.sindri.outputs."+o) || !strings.Contains(last, outputMarker+o+"=") {
				t.Errorf("appended step does not print output %s: %s", o, last)
			}
		}
	}
}

// TestRewriteWorkflowRefuses checks the rewrite fails loudly when the example drifts out of
// what the act test can run.
func TestRewriteWorkflowRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		want      error
	}{
		{"no sindri step", "jobs:\n  a:\n    steps:\n      - run: true\n", errNoSindriStep},
		{"two sindri steps", "jobs:\n  a:\n    steps:\n      - {id: a, uses: sindri/deploy@v3}\n      - {id: b, uses: sindri/deploy@v3}\n", errNoSindriStep},
		{"no id", "jobs:\n  a:\n    steps:\n      - uses: sindri/deploy@v3\n", errStepID},
		{"remote action", "jobs:\n  a:\n    steps:\n      - uses: actions/setup-go@v5\n      - {id: s, uses: sindri/deploy@v3}\n", errRemoteAction},
		{"checkout of another repo", "jobs:\n  a:\n    steps:\n      - {uses: actions/checkout@v4, with: {repository: o/r}}\n      - {id: s, uses: sindri/deploy@v3}\n", errRemoteAction},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := rewriteWorkflow([]byte(tc.src))
			if !errors.Is(err, tc.want) {
				t.Errorf("rewriteWorkflow: error %v, want %v", err, tc.want)
			}
		})
	}
}

func without(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}
