package action

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// MaxLogLines bounds the log lines shown on failure.
const MaxLogLines = 30

var phaseIcon = map[Phase]string{
	PhaseDeploying: "🟡", PhaseReady: "🟢", PhaseFailed: "🔴", PhaseDestroying: "🟡", PhaseDestroyed: "⚪",
	PhaseStopped: "⏸️", PhaseStarted: "🟢", PhasePlanned: "📝", PhaseStatus: "ℹ️", PhaseSuperseded: "⏭️",
}

var phaseTitle = map[Phase]string{
	PhaseDeploying: "Deploying", PhaseReady: "Ready", PhaseFailed: "Failed", PhaseDestroying: "Destroying",
	PhaseDestroyed: "Destroyed", PhaseStopped: "Stopped", PhaseStarted: "Started", PhasePlanned: "Plan",
	PhaseStatus: "Status", PhaseSuperseded: "Superseded",
}

func title(p Phase) string {
	t, ok := phaseTitle[p]
	if !ok {
		t = string(p)
	}
	if i, ok := phaseIcon[p]; ok {
		return i + " " + t
	}
	return t
}

// RenderSummary returns the job summary Markdown for v: a facts table (environment, provider,
// state, URL, connect command, duration), the plan table when there is one, and the last log
// lines on failure (log, progress and retry lines alike). The whole text passes through redact.
func RenderSummary(v View, redact Redactor) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s `%s`\n\n", title(v.Phase), code(v.Env))
	b.WriteString("| | |\n|---|---|\n")
	row := func(k, val string) {
		if val != "" {
			fmt.Fprintf(&b, "| %s | %s |\n", k, val)
		}
	}
	row("Environment", "`"+code(v.Env)+"`")
	row("Provider", cell(v.Provider))
	if v.Kind != "" {
		row("Command", cell(string(v.Kind)))
	}
	row("Phase", cell(string(v.Phase)))
	if v.State != providers.StateUnknown {
		row("State", cell(v.State.String()))
	}
	if v.URL != "" {
		row("URL", link(v.URL))
	}
	if v.Connect != "" {
		row("Connect", "`"+code(v.Connect)+"`")
	}
	if v.PR > 0 {
		row("Pull request", "#"+strconv.Itoa(v.PR))
	}
	row("Commit", shortSHA(v.SHA))
	row("Trigger", cell(v.Trigger))
	row("Requested by", cell(v.Actor))
	if v.Duration > 0 {
		row("Duration", v.Duration.Round(time.Second).String())
	}
	row("Job", cell(v.JobID))
	writeCostRows(row, v)
	if v.Error != "" {
		fmt.Fprintf(&b, "\n**Error:** %s\n", cell(v.Error))
	}
	writeWarnings(&b, v.Warnings)
	if v.Plan != nil {
		b.WriteString("\n")
		writePlan(&b, v.Plan)
	}
	writeImages(&b, v.Images)
	if v.Phase == PhaseFailed && len(v.LogTail) > 0 {
		b.WriteString("\n**Last log lines:**\n")
		writeLogs(&b, v.LogTail)
	}
	return redact(b.String())
}

// RenderComment returns the sticky comment Markdown for v (without the marker, which the
// Reporter adds): deploying, ready with URL and connect command, failed with the error and the
// last log lines folded away, destroyed. The whole text passes through redact.
func RenderComment(v View, redact Redactor) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s: `%s`", title(v.Phase), code(v.Env))
	if v.Provider != "" {
		fmt.Fprintf(&b, " on %s", cell(v.Provider))
	}
	b.WriteString("\n\n")
	writeIdleNote(&b, v)
	sha := shortSHA(v.SHA)
	switch v.Phase {
	case PhaseDeploying:
		fmt.Fprintf(&b, "Deploying %s…", orDash(sha))
	case PhaseReady, PhaseStarted, PhaseStatus:
		if v.URL != "" {
			fmt.Fprintf(&b, "**URL:** %s\n\n", link(v.URL))
		}
		if v.Connection != nil {
			writeConnect(&b, v.Provider, v.Env, v.Connection)
		} else if v.Connect != "" {
			b.WriteString("**Connect:**\n\n")
			writeFence(&b, "sh", []string{v.Connect})
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Commit %s", orDash(sha))
		if v.State != providers.StateUnknown {
			fmt.Fprintf(&b, ", state `%s`", code(v.State.String()))
		}
		if v.Duration > 0 {
			fmt.Fprintf(&b, ", took %s", v.Duration.Round(time.Second))
		}
		b.WriteString(".")
		writeCostLine(&b, v)
		if len(v.Warnings) > 0 {
			b.WriteString("\n")
			writeWarnings(&b, v.Warnings)
		}
	case PhaseFailed:
		fmt.Fprintf(&b, "Commit %s failed: %s", orDash(sha), cell(v.Error))
		if len(v.LogTail) > 0 {
			b.WriteString("\n\n<details><summary>Last log lines</summary>\n")
			writeLogs(&b, v.LogTail)
			b.WriteString("\n</details>")
		}
	case PhaseDestroying:
		b.WriteString("Tearing the environment down…")
	case PhaseDestroyed:
		b.WriteString("The environment was removed.")
	case PhaseStopped:
		b.WriteString("Stopped; data is kept. Comment `/sindri start` to start it again.")
		writeCostLine(&b, v)
	default:
		fmt.Fprintf(&b, "%s.", cell(string(v.Phase)))
	}
	if v.RunURL != "" {
		fmt.Fprintf(&b, "\n\n[Workflow run](%s)", v.RunURL)
	}
	b.WriteString("\n")
	return redact(b.String())
}

// writeWarnings lists a provider's warnings, each as one table-safe line.
func writeWarnings(b *strings.Builder, warnings []string) {
	if len(warnings) == 0 {
		return
	}
	b.WriteString("\n**Warnings:**\n\n")
	for _, w := range warnings {
		fmt.Fprintf(b, "- %s\n", cell(w))
	}
}

func writePlan(b *strings.Builder, p *providers.Plan) {
	fmt.Fprintf(b, "### Plan (%s)\n\n", cell(p.Provider))
	if len(p.Actions) == 0 {
		b.WriteString("No changes.\n")
	} else {
		b.WriteString("| Action | Resource | Description |\n|---|---|---|\n")
		for _, a := range p.Actions {
			fmt.Fprintf(b, "| %s | %s | %s |\n", cell(string(a.Action)), cell(a.Resource), cell(a.Description))
		}
	}
	writeEstimate(b, p.EstimatedCost)
	writeWarnings(b, p.Warnings)
	if len(p.Calls) > 0 {
		b.WriteString("\n<details><summary>API calls</summary>\n\n")
		writeFence(b, "", p.Calls)
		b.WriteString("</details>\n")
	}
}

func writeLogs(b *strings.Builder, lines []string) {
	if len(lines) > MaxLogLines {
		lines = lines[len(lines)-MaxLogLines:]
	}
	b.WriteString("\n")
	writeFence(b, "", lines)
}

// writeFence writes lines as a fenced code block. Inside the block nothing is Markdown or
// HTML (a </details>, an @mention or a link stays literal text), so the only way out is a
// closing fence: CommonMark closes a backtick fence with a line of at least as many backticks,
// indented up to three spaces. The fence is therefore one backtick longer than the longest
// run of backticks anywhere in the content, which no content line can match. Each entry
// becomes exactly one line.
func writeFence(b *strings.Builder, info string, lines []string) {
	clean := make([]string, len(lines))
	longest := 0
	for i, l := range lines {
		l = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(l)
		clean[i] = l
		if n := longestRun(l, '`'); n > longest {
			longest = n
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	b.WriteString(fence + info + "\n")
	for _, l := range clean {
		b.WriteString(l + "\n")
	}
	b.WriteString(fence + "\n")
}

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != c {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	return longest
}

// cell makes text safe inside a Markdown table cell or a line: one line, pipes escaped, no
// HTML.
func cell(s string) string {
	r := strings.NewReplacer("\r", " ", "\n", " ", "|", `\|`, "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

// code makes text safe inside a single-backtick code span.
func code(s string) string {
	return strings.NewReplacer("`", "'", "\r", " ", "\n", " ").Replace(s)
}

func link(u string) string {
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return "<" + strings.NewReplacer(">", "%3E", " ", "%20", "|", "%7C").Replace(u) + ">"
	}
	return "`" + code(u) + "`"
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return "`" + code(s) + "`"
}

// writeImages lists the images an image job reported.
func writeImages(b *strings.Builder, images []providers.Image) {
	if len(images) == 0 {
		return
	}
	b.WriteString("\n| Image | Name | Cloud | Region | Created |\n|---|---|---|---|---|\n")
	for _, im := range images {
		created := ""
		if im.CreatedAt != nil {
			created = im.CreatedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", code(im.ID), cell(im.Name), cell(im.Cloud), cell(im.Region), created)
	}
}
