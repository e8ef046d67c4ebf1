package main

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"
)

// alertRulesFile is the rules file docs/operations.md shows and operators load.
const alertRulesFile = "../../deploy/prometheus/sindri-alerts.yaml"

// alertRule is one rule of a Prometheus rules file; decoding is strict, so a misspelt key
// fails the test instead of being ignored by Prometheus's loader later.
type alertRule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadAlertRules(t *testing.T) []alertRule {
	t.Helper()
	b, err := os.ReadFile(alertRulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Name  string      `yaml:"name"`
			Rules []alertRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("%s: %v", alertRulesFile, err)
	}
	var rules []alertRule
	for _, g := range file.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatalf("%s holds no rules", alertRulesFile)
	}
	return rules
}

// promqlWords are the PromQL functions, aggregations and keywords the rules may use; any
// other bare word must be a metric the executor exposes.
var promqlWords = map[string]bool{
	"sum": true, "max": true, "min": true, "avg": true, "count": true, "rate": true,
	"increase": true, "deriv": true, "delta": true, "irate": true, "histogram_quantile": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
	"group_right": true, "and": true, "or": true, "unless": true, "absent": true,
	"changes": true, "resets": true, "le": true, "time": true, "bool": true,
}

// targetLabels are the labels Prometheus adds to every scraped series.
var targetLabels = []string{"instance", "job"}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promSelector = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?`)
	promMatcher  = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*$`)
	promGrouping = regexp.MustCompile(`\b(by|without|on|ignoring)\s*\(([^)]*)\)`)
	promRange    = regexp.MustCompile(`\[([^\]]*)\]`)
	promDuration = regexp.MustCompile(`^[0-9]+(ms|s|m|h|d|w|y)$`)
)

// checkPromQL reports what is wrong with expr against the metric families an executor
// really exposes: unbalanced brackets, an unknown metric or word, a label the metric does not
// carry, a grouping label none of the expression's metrics carries, a malformed range.
// It is not a full PromQL parser; it checks names, which is what rots when metrics change.
func checkPromQL(expr string, families map[string]*dto.MetricFamily) []string {
	var problems []string
	depth := map[rune]int{}
	pairs := map[rune]rune{')': '(', '}': '{', ']': '['}
	for _, r := range promString.ReplaceAllString(expr, `""`) {
		switch r {
		case '(', '{', '[':
			depth[r]++
		case ')', '}', ']':
			depth[pairs[r]]--
			if depth[pairs[r]] < 0 {
				problems = append(problems, "unbalanced "+string(r))
			}
		}
	}
	for open, n := range depth {
		if n != 0 {
			problems = append(problems, "unbalanced "+string(open))
		}
	}
	for _, m := range promRange.FindAllStringSubmatch(expr, -1) {
		if !promDuration.MatchString(m[1]) {
			problems = append(problems, "range ["+m[1]+"] is not a duration")
		}
	}
	labels := slices.Clone(targetLabels)
	withoutGroups := promGrouping.ReplaceAllString(expr, "$1")
	stripped := promRange.ReplaceAllString(withoutGroups, "")
	for _, m := range promSelector.FindAllStringSubmatch(stripped, -1) {
		name, matchers := m[1], m[2]
		if isNumber(name) {
			continue
		}
		fam := family(name, families)
		if fam == nil {
			if !promqlWords[name] {
				problems = append(problems, "unknown metric or word "+name)
			}
			continue
		}
		have := familyLabels(fam)
		labels = append(labels, have...)
		if matchers == "" {
			continue
		}
		for _, part := range splitMatchers(strings.Trim(matchers, "{}")) {
			mm := promMatcher.FindStringSubmatch(part)
			switch {
			case mm == nil:
				problems = append(problems, "malformed matcher "+part+" on "+name)
			case !slices.Contains(have, mm[1]) && !slices.Contains(targetLabels, mm[1]):
				problems = append(problems, name+" has no label "+mm[1])
			}
		}
	}
	for _, m := range promGrouping.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(m[2], ",") {
			if l = strings.TrimSpace(l); l != "" && !slices.Contains(labels, l) {
				problems = append(problems, m[1]+" ("+l+"): no metric of the expression has that label")
			}
		}
	}
	return problems
}

// family returns the family a series name belongs to (a histogram's _bucket, _sum and
// _count belong to it), or nil.
func family(name string, families map[string]*dto.MetricFamily) *dto.MetricFamily {
	if f := families[name]; f != nil {
		return f
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if f := families[strings.TrimSuffix(name, suffix)]; f != nil && f.GetType() == dto.MetricType_HISTOGRAM {
			return f
		}
	}
	return nil
}

func familyLabels(f *dto.MetricFamily) []string {
	var out []string
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if !slices.Contains(out, l.GetName()) {
				out = append(out, l.GetName())
			}
		}
	}
	if f.GetType() == dto.MetricType_HISTOGRAM {
		out = append(out, "le")
	}
	return out
}

// splitMatchers splits the inside of {…} at the commas outside quoted values.
func splitMatchers(s string) []string {
	var parts []string
	inString, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && inString:
			i++
		case s[i] == '"':
			inString = !inString
		case s[i] == ',' && !inString:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if strings.TrimSpace(s[start:]) != "" {
		parts = append(parts, s[start:])
	}
	return parts
}

func isNumber(s string) bool {
	return strings.Trim(s, "0123456789.") == ""
}

// TestCheckPromQLCatchesRot: the checker itself fails on the mistakes it exists for, so the
// alert test cannot pass vacuously.
func TestCheckPromQLCatchesRot(t *testing.T) {
	t.Parallel()
	counter := dto.MetricType_COUNTER
	name, label, value := "sindri_executor_jobs_total", "provider", "fake"
	families := map[string]*dto.MetricFamily{name: {Name: &name, Type: &counter,
		Metric: []*dto.Metric{{Label: []*dto.LabelPair{{Name: &label, Value: &value}}}}}}
	for _, tc := range []struct {
		name, expr string
		ok         bool
	}{
		{"fine", `sum by (provider) (rate(sindri_executor_jobs_total{provider=~"a|b"}[5m])) > 0`, true},
		{"misspelt metric", `rate(sindri_executor_job_total[5m])`, false},
		{"unknown label", `sindri_executor_jobs_total{kind="deploy"}`, false},
		{"unknown grouping label", `sum by (outcome) (sindri_executor_jobs_total)`, false},
		{"bad range", `rate(sindri_executor_jobs_total[5 minutes])`, false},
		{"unbalanced", `sum(rate(sindri_executor_jobs_total[5m])`, false},
		{"target label", `max by (instance) (sindri_executor_jobs_total) == 0`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := checkPromQL(tc.expr, families); (len(got) == 0) != tc.ok {
				t.Errorf("checkPromQL(%s) = %q, want ok=%v", tc.expr, got, tc.ok)
			}
		})
	}
}

// TestAlertRulesDocumented: docs/operations.md shows every rule of the rules file under a
// heading of its name, with its expression exactly, so the documented alerts are the ones
// that TestMetricsAnOperatorCanAlertOn checks against a running executor.
func TestAlertRulesDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range loadAlertRules(t) {
		if !strings.Contains(string(doc), "\n#### "+rule.Alert+"\n") {
			t.Errorf("docs/operations.md has no heading #### %s", rule.Alert)
		}
		if !strings.Contains(string(doc), "```promql\n"+rule.Expr+"\n```") {
			t.Errorf("docs/operations.md does not show the expression of %s exactly:\n%s", rule.Alert, rule.Expr)
		}
	}
}
