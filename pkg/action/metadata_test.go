package action

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/sethvargo/go-githubactions"
	"gopkg.in/yaml.v3"
)

type actionYAML struct {
	Inputs map[string]struct {
		Description string  `yaml:"description"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Image string `yaml:"image"`
	} `yaml:"runs"`
}

func loadActionYAML(t *testing.T) actionYAML {
	t.Helper()
	b, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionYAML
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestActionYAMLMatchesCode keeps action.yml, ParseInputs, WriteOutputs and docs/action.md in
// step: every input the code reads is declared (and no other), every output is declared, and
// the reference documents each one.
func TestActionYAMLMatchesCode(t *testing.T) {
	t.Parallel()
	a := loadActionYAML(t)
	if a.Runs.Using != "docker" || a.Runs.Image != "docker://ghcr.io/sindri/deploy:v3" {
		t.Errorf("runs = %+v, want docker with docker://ghcr.io/sindri/deploy:v3", a.Runs)
	}

	var read []string
	ga := githubactions.New(githubactions.WithGetenv(func(k string) string {
		if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
			read = append(read, strings.ToLower(name))
		}
		return ""
	}), githubactions.WithWriter(&strings.Builder{}))
	if _, err := ParseInputs(ga); err != nil {
		t.Fatal(err)
	}
	slices.Sort(read)
	read = slices.Compact(read)
	var declared []string
	for name, in := range a.Inputs {
		declared = append(declared, name)
		if strings.TrimSpace(in.Description) == "" || in.Default == nil {
			t.Errorf("input %s lacks a description or a default", name)
		}
	}
	sort.Strings(declared)
	if !slices.Equal(read, declared) {
		t.Errorf("inputs read by ParseInputs %v\n!= inputs declared in action.yml %v", read, declared)
	}

	var out strings.Builder
	outFile := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(outFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ga = githubactions.New(githubactions.WithGetenv(func(k string) string {
		if k == "GITHUB_OUTPUT" {
			return outFile
		}
		return ""
	}), githubactions.WithWriter(&out))
	if err := WriteOutputs(ga, Outputs{}, NoRedaction); err != nil {
		t.Fatal(err)
	}
	written, _ := os.ReadFile(outFile)
	for name := range a.Outputs {
		if !strings.Contains(string(written), name+"<<") {
			t.Errorf("output %s is declared but WriteOutputs does not set it", name)
		}
	}
	if n := strings.Count(string(written), "<<"); n != len(a.Outputs) {
		t.Errorf("WriteOutputs sets %d outputs, action.yml declares %d", n, len(a.Outputs))
	}

	doc, err := os.ReadFile("../../docs/action.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append(declared, keys(a.Outputs)...) {
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("docs/action.md does not document `%s`", name)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

type workflowYAML struct {
	On          yaml.Node         `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress *bool  `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Jobs map[string]struct {
		Concurrency struct {
			Group            string `yaml:"group"`
			CancelInProgress *bool  `yaml:"cancel-in-progress"`
		} `yaml:"concurrency"`
		Steps []struct {
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestExampleWorkflows checks each example: least permissions (no write-all, nothing beyond
// what the action uses), a concurrency group that never cancels, the action used with inputs it
// declares.
func TestExampleWorkflows(t *testing.T) {
	t.Parallel()
	a := loadActionYAML(t)
	allowed := map[string]string{"contents": "read", "pull-requests": "write", "deployments": "write", "issues": "write"}
	files, err := filepath.Glob("../../examples/workflows/*.yml")
	if err != nil || len(files) < 4 {
		t.Fatalf("examples: %v, %v", files, err)
	}
	var groupsMu sync.Mutex
	groups := map[string]string{}
	t.Cleanup(func() {
		// GitHub keeps one pending run per concurrency group and a newly queued run replaces
		// it: a workflow sharing the preview group could cancel a pending teardown.
		preview := groups["pr-preview.yml"]
		for f, g := range groups {
			if f != "pr-preview.yml" && sameGroupShape(g, preview) {
				t.Errorf("%s shares the preview workflow's concurrency group %q: its runs could replace a pending teardown", f, g)
			}
		}
	})
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var w workflowYAML
			if err := yaml.Unmarshal(b, &w); err != nil {
				t.Fatal(err)
			}
			if len(w.Permissions) == 0 {
				t.Error("no permissions block")
			}
			for scope, level := range w.Permissions {
				if want, ok := allowed[scope]; !ok || level != want {
					t.Errorf("permission %s: %s is more than the action needs", scope, level)
				}
			}
			conc := w.Concurrency
			for _, j := range w.Jobs {
				if conc.Group == "" {
					conc = j.Concurrency
				}
			}
			if conc.Group == "" || conc.CancelInProgress == nil || *conc.CancelInProgress {
				t.Errorf("concurrency = %+v, want a group (workflow or job level) with cancel-in-progress: false", conc)
			}
			groupsMu.Lock()
			groups[filepath.Base(f)] = conc.Group
			groupsMu.Unlock()
			used := false
			for _, j := range w.Jobs {
				for _, s := range j.Steps {
					if s.Uses != "sindri/deploy@v3" {
						continue
					}
					used = true
					for k := range s.With {
						if _, ok := a.Inputs[k]; !ok {
							t.Errorf("uses undeclared input %q", k)
						}
					}
				}
			}
			if !used {
				t.Error("does not use sindri/deploy@v3")
			}
		})
	}
}

// sameGroupShape reports whether two concurrency group expressions can evaluate to the same
// group for one PR: equal once the expressions naming the PR number are normalised.
func sameGroupShape(a, b string) bool {
	norm := func(s string) string {
		for _, e := range []string{"${{ github.event.pull_request.number }}", "${{ github.event.issue.number }}", "${{ inputs.pr }}"} {
			s = strings.ReplaceAll(s, e, "N")
		}
		return s
	}
	return a != "" && norm(a) == norm(b)
}
