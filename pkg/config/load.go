package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/sindri/deploy/v3/internal/confine"
	"github.com/sindri/deploy/v3/internal/excerpt"
	"gopkg.in/yaml.v3"
)

// Limits that keep Load bounded in time and memory whatever the input. Real sindri.yaml files
// are a few KiB with a few hundred nodes and a depth below 10.
const (
	// MaxFileSize is the largest file Load accepts.
	MaxFileSize = 1 << 20
	// MaxDepth is the deepest nesting of mappings and lists, aliases expanded.
	MaxDepth = 64
	// MaxNodes is the largest number of YAML nodes, aliases expanded (alias-bomb guard).
	MaxNodes = 100_000
	// maxIndent bounds the run of spaces and block indicators that opens a line, and
	// maxFlowDepth the nesting of [ and {; both are checked before the YAML parser runs,
	// because the parser's own cost grows quadratically with such nesting.
	maxIndent    = 512
	maxFlowDepth = 128
)

// Load parses and validates one sindri.yaml document. path is used in diagnostics and to set
// Config.Source (relative paths in the file resolve against its directory); data is the file
// content. Every problem is reported at once, sorted by position. The returned Config is nil
// when the diagnostics contain an error; otherwise it carries the per-provider defaults
// (see defaults.go), so consumers never default anything themselves.
func Load(path string, data []byte) (*Config, Diagnostics) {
	d := &decoder{file: path, present: map[string]*yaml.Node{}, values: map[string]*yaml.Node{}}
	root := d.parse(data)
	if root == nil {
		d.diags.sort()
		return nil, d.diags
	}
	c := d.decodeConfig(root)
	d.checkRules(c)
	d.summarizeDropped()
	d.diags.sort()
	if d.diags.HasErrors() {
		return nil, d.diags
	}
	applyDefaults(c)
	c.Source = &SourceInfo{Path: path, Dir: filepath.Dir(path)}
	return c, d.diags
}

// LoadFile reads path and calls Load. The file must resolve, symlinks followed, into its own
// directory, and be a regular file (never a FIFO or device) of at most MaxFileSize bytes; see
// LoadFileIn. The error is non-nil only when the file cannot be read; it names path and wraps
// fs.ErrNotExist or one of confine's sentinels (ErrOutsideRoot, ErrNotRegular, ErrTooLarge).
// Validation problems are in the Diagnostics.
func LoadFile(path string) (*Config, Diagnostics, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return LoadFileIn(filepath.Dir(abs), path)
}

// LoadFileIn is LoadFile with the directory path must resolve into given as root (the
// workspace): a config is often a file someone else controls, and a symlink to /etc/passwd must
// not be read. A relative path is taken against the current directory.
func LoadFileIn(root, path string) (*Config, Diagnostics, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %s: %w", path, err)
	}
	data, err := confine.ReadFile(root, abs, MaxFileSize)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %s: %w", path, err)
	}
	c, diags := Load(path, data)
	return c, diags, nil
}

// parse turns data into the document's root node, or reports why it cannot.
func (d *decoder) parse(data []byte) *yaml.Node {
	if len(data) > MaxFileSize {
		d.errorf(nil, "", "sindri.yaml files are a few KiB; check that this is the right file",
			"file is larger than %d bytes", MaxFileSize)
		return nil
	}
	if line, why := prescan(data); why != "" {
		d.errorf(&yaml.Node{Line: line, Column: 1}, "", "", "%s", why)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorf(nil, "", `start with version: "3.0"`, "file is empty")
			return nil
		}
		d.yamlError(err)
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.yamlError(err)
		return nil
	case len(next.Content) > 0 && !isNull(next.Content[0]):
		d.errorf(&yaml.Node{Line: next.Line, Column: next.Column}, "", "keep one sindri.yaml per file; remove the extra '---' documents",
			"file holds more than one YAML document")
		return nil
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		d.errorf(nil, "", `start with version: "3.0"`, "file is empty")
		return nil
	}
	root := doc.Content[0]
	if why := checkTree(root); why != "" {
		d.errorf(root, "", "", "%s", why)
		return nil
	}
	return root
}

// yamlLineRE finds the line yaml.v3 puts in its syntax error text (it has no structured
// position); it only feeds the diagnostic's position, never control flow.
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlQuotedRE finds the text yaml.v3 quotes from the document in its errors (an anchor or tag
// name, a scalar); each is cut to an excerpt.
var yamlQuotedRE = regexp.MustCompile("'[^']*'|`[^`]*`|\"[^\"]*\"")

func quotedExcerpt(q string) string { return excerpt.Quote(q[1 : len(q)-1]) }

func (d *decoder) yamlError(err error) {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		d.errorf(&yaml.Node{Line: line, Column: 1}, "", "fix the YAML syntax", "YAML: %s", yamlQuotedRE.ReplaceAllStringFunc(m[2], quotedExcerpt))
		return
	}
	d.errorf(nil, "", "fix the YAML syntax", "%s", yamlQuotedRE.ReplaceAllStringFunc(msg, quotedExcerpt))
}

// prescan refuses nesting the YAML parser would be slow to reject, before parsing.
func prescan(data []byte) (line int, why string) {
	flow := 0
	line = 1
	atStart, indent := true, 0
	for _, b := range data {
		switch {
		case b == '\n':
			line++
			atStart, indent = true, 0
			continue
		case atStart && (b == ' ' || b == '\t' || b == '-' || b == '?' || b == ':'):
			indent++
			if indent > maxIndent {
				return line, fmt.Sprintf("nesting too deep: a line starts with more than %d spaces or block indicators", maxIndent)
			}
			continue
		case b == '[' || b == '{':
			flow++
			if flow > maxFlowDepth {
				return line, fmt.Sprintf("nesting too deep: more than %d open brackets", maxFlowDepth)
			}
		case b == ']' || b == '}':
			if flow > 0 {
				flow--
			}
		}
		atStart = false
	}
	return 0, ""
}

// checkTree bounds the tree with aliases expanded: no cycles, at most MaxNodes nodes and
// MaxDepth levels. It runs in time linear in the parsed tree (memoised per node).
func checkTree(root *yaml.Node) string {
	type info struct{ size, depth int }
	memo := map[*yaml.Node]info{}
	onStack := map[*yaml.Node]bool{}
	var cyclic bool
	var walk func(n *yaml.Node) info
	walk = func(n *yaml.Node) info {
		if n == nil {
			return info{}
		}
		if r, ok := memo[n]; ok {
			return r
		}
		if onStack[n] {
			cyclic = true
			return info{}
		}
		onStack[n] = true
		defer delete(onStack, n)
		r := info{size: 1}
		if n.Kind == yaml.AliasNode {
			a := walk(n.Alias)
			r = info{size: a.size, depth: a.depth}
		}
		for _, c := range n.Content {
			ci := walk(c)
			r.size = min(r.size+ci.size, MaxNodes+1)
			r.depth = max(r.depth, ci.depth+1)
		}
		memo[n] = r
		return r
	}
	r := walk(root)
	switch {
	case cyclic:
		return "an alias refers to the node that contains it"
	case r.size > MaxNodes:
		return fmt.Sprintf("document expands to more than %d YAML nodes (too many aliases?)", MaxNodes)
	case r.depth > MaxDepth:
		return fmt.Sprintf("nesting too deep: more than %d levels", MaxDepth)
	}
	return ""
}
