package config

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/internal/excerpt"
	"gopkg.in/yaml.v3"
)

// decoder walks a yaml.Node tree into the typed model, recording every problem with its
// position instead of stopping at the first one. The tree has already passed checkTree, so it
// is acyclic and its alias expansion is bounded.
type decoder struct {
	file  string
	diags Diagnostics
	// present maps the dotted path of every key that was set (canonical spelling) to its key
	// node, so later passes (unused fields, cross-field rules) can point at it.
	present map[string]*yaml.Node
	// values maps the same paths to their value nodes, for rules that point at a value.
	values map[string]*yaml.Node
	// droppedErrors and droppedWarnings count diagnostics past maxDiagnostics.
	droppedErrors, droppedWarnings int
}

// summarizeDropped appends one diagnostic standing for everything past maxDiagnostics, as an
// error if any dropped diagnostic was one (so the file is still refused).
func (d *decoder) summarizeDropped() {
	n := d.droppedErrors + d.droppedWarnings
	if n == 0 {
		return
	}
	sev := SeverityWarning
	if d.droppedErrors > 0 {
		sev = SeverityError
	}
	d.diags = append(d.diags, Diagnostic{File: d.file, Severity: sev,
		Message: fmt.Sprintf("%d more problems not shown (%d errors)", n, d.droppedErrors)})
}

// maxDiagnostics bounds the report (and the work of producing it) for hostile input.
const maxDiagnostics = 500

func (d *decoder) report(sev Severity, n *yaml.Node, field, msg, hint string) {
	if len(d.diags) >= maxDiagnostics {
		if sev == SeverityError {
			d.droppedErrors++
		} else {
			d.droppedWarnings++
		}
		return
	}
	line, col := 0, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	// A key name is text from the file like any value: a long one is cut (see fieldExcerpt).
	d.diags = append(d.diags, Diagnostic{File: d.file, Line: line, Col: col, Field: fieldExcerpt(field),
		Severity: sev, Message: msg, Hint: hint})
}

// fieldExcerpt shortens each key of a dotted field path that is longer than a key of this
// schema can be; a file that is not a sindri.yaml at all (some other file behind a symlink) has
// its text in its keys.
func fieldExcerpt(field string) string {
	if len(field) <= excerpt.MaxRunes*2 {
		return field
	}
	parts := strings.Split(field, ".")
	for i, p := range parts {
		parts[i] = excerpt.String(p)
	}
	return strings.Join(parts, ".")
}

func (d *decoder) errorf(n *yaml.Node, field, hint, format string, args ...any) {
	d.report(SeverityError, n, field, fmt.Sprintf(format, args...), hint)
}

func (d *decoder) warnf(n *yaml.Node, field, hint, format string, args ...any) {
	d.report(SeverityWarning, n, field, fmt.Sprintf(format, args...), hint)
}

// resolve follows alias nodes to their anchor.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names the YAML type of n for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "the string " + excerpt.Quote(n.Value)
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		case "!!null":
			return "null"
		default:
			return fmt.Sprintf("a value tagged %s", n.ShortTag())
		}
	}
	return "an unsupported YAML node"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

type entry struct{ k, v *yaml.Node }

// mapView is one YAML mapping being decoded. Each accessor marks its key as known; finish
// reports the keys nobody asked for.
type mapView struct {
	d       *decoder
	node    *yaml.Node
	path    string
	entries map[string]entry
	order   []string
	known   []string
	// special holds hints for keys that are not fields but deserve a specific explanation.
	special map[string]string
}

// mapping returns a view of n (which must be a mapping) or nil after reporting a type error.
func (d *decoder) mapping(n *yaml.Node, path string) *mapView {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "", "expected a mapping of keys to values, got %s", describe(n))
		return nil
	}
	m := &mapView{d: d, node: n, path: path, entries: map[string]entry{}}
	m.collect(n, false)
	return m
}

// collect gathers n's keys; merged (<<) keys never override explicit ones.
func (m *mapView) collect(n *yaml.Node, merged bool) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		rk := resolve(k)
		if rk.Kind != yaml.ScalarNode {
			m.d.errorf(k, m.path, "", "mapping keys must be plain strings, got %s", describe(k))
			continue
		}
		if rk.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if prev, dup := m.entries[rk.Value]; dup {
			if !merged {
				m.d.errorf(k, join(m.path, rk.Value), "remove one of them",
					"duplicate key %s (first set at line %d)", excerpt.Quote(rk.Value), prev.k.Line)
			}
			continue
		}
		m.entries[rk.Value] = entry{k, v}
		m.order = append(m.order, rk.Value)
	}
	for _, v := range merges {
		v = resolve(v)
		switch v.Kind {
		case yaml.MappingNode:
			m.collect(v, true)
		case yaml.SequenceNode:
			for _, it := range v.Content {
				if it = resolve(it); it.Kind == yaml.MappingNode {
					m.collect(it, true)
				}
			}
		default:
			m.d.errorf(v, m.path, "", "merge key << needs a mapping, got %s", describe(v))
		}
	}
}

// get looks a key up under its canonical name and any aliases. Null values count as absent.
func (m *mapView) get(key string, aliases ...string) (k, v *yaml.Node, path string, ok bool) {
	names := append([]string{key}, aliases...)
	m.known = append(m.known, names...)
	path = join(m.path, key)
	var found []string
	for _, name := range names {
		if e, has := m.entries[name]; has {
			found = append(found, name)
			if k == nil {
				k, v = e.k, e.v
				path = join(m.path, name)
			}
		}
	}
	if len(found) > 1 {
		m.d.errorf(m.entries[found[1]].k, join(m.path, found[1]), "keep only one spelling",
			"%q and %q are the same setting; both are set", found[0], found[1])
	}
	if k == nil || isNull(v) {
		return nil, nil, path, false
	}
	m.d.present[join(m.path, key)] = k
	m.d.values[join(m.path, key)] = resolve(v)
	return k, resolve(v), path, true
}

// has reports whether key (or an alias) is set to a non-null value, without marking it known.
func (m *mapView) has(key string, aliases ...string) bool {
	for _, name := range append([]string{key}, aliases...) {
		if e, ok := m.entries[name]; ok && !isNull(e.v) {
			return true
		}
	}
	return false
}

// required reports an error when key (under any alias) is absent or null.
func (m *mapView) required(key, hint string, aliases ...string) {
	if m.has(key, aliases...) {
		return
	}
	for _, name := range append([]string{key}, aliases...) {
		if e, ok := m.entries[name]; ok {
			m.d.errorf(e.k, join(m.path, name), hint, "required key %q has no value", name)
			return
		}
	}
	m.d.errorf(m.node, join(m.path, key), hint, "required key %q is missing", key)
}

// finish warns about every key no accessor asked for, with a "did you mean" where possible.
func (m *mapView) finish() {
	for _, name := range m.order {
		if slices.Contains(m.known, name) {
			continue
		}
		e := m.entries[name]
		hint := m.special[name]
		if hint == "" && len(m.d.diags) < maxDiagnostics {
			if s := suggest(name, m.known); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			}
		}
		where := "at the top level"
		if m.path != "" {
			where = "in " + m.path
		}
		m.d.warnf(e.k, join(m.path, name), hint, "unknown key %s %s is ignored", excerpt.Quote(name), where)
	}
}

// scalar checks for a scalar of one of the given short tags and reports a type error otherwise.
func (m *mapView) scalar(v *yaml.Node, path, want string, tags ...string) bool {
	if v.Kind == yaml.ScalarNode && slices.Contains(tags, v.ShortTag()) {
		return true
	}
	hint := ""
	if want == "a string" && v.Kind == yaml.ScalarNode {
		hint = "quote it: " + excerpt.Quote(v.Value)
	}
	if want == "true or false" && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" {
		switch strings.ToLower(v.Value) {
		case "yes", "on", "no", "off", "y", "n":
			hint = "YAML 1.2 booleans are only true and false"
		}
	}
	m.d.errorf(v, path, hint, "expected %s, got %s", want, describe(v))
	return false
}

// strCheck validates a string value; it returns the message and hint of a problem, if any.
type strCheck func(s string) (sev Severity, msg, hint string)

func (m *mapView) str(key string, dst *string, checks ...strCheck) bool {
	return m.strAlias(key, nil, dst, checks...)
}

func (m *mapView) strAlias(key string, aliases []string, dst *string, checks ...strCheck) bool {
	_, v, path, ok := m.get(key, aliases...)
	if !ok {
		return false
	}
	return m.strValue(v, path, dst, checks...)
}

func (m *mapView) strValue(v *yaml.Node, path string, dst *string, checks ...strCheck) bool {
	if !m.scalar(v, path, "a string", "!!str") {
		return false
	}
	for _, c := range checks {
		if sev, msg, hint := c(v.Value); msg != "" {
			m.d.report(sev, v, path, msg, hint)
			if sev == SeverityError {
				return false
			}
		}
	}
	*dst = v.Value
	return true
}

// intValue decodes an integer within [lo, hi].
func (m *mapView) intValue(v *yaml.Node, path string, lo, hi int64) (int, bool) {
	if !m.scalar(v, path, "a whole number", "!!int") {
		return 0, false
	}
	var n int64
	if err := v.Decode(&n); err != nil || n < math.MinInt32 || n > math.MaxInt32 {
		m.d.errorf(v, path, "", "number %s is out of range", v.Value)
		return 0, false
	}
	if n < lo || n > hi {
		m.d.errorf(v, path, "", "%d is out of range; allowed %s", n, rangeText(lo, hi))
		return 0, false
	}
	return int(n), true
}

func rangeText(lo, hi int64) string {
	switch {
	case hi == math.MaxInt32:
		return fmt.Sprintf("%d or more", lo)
	default:
		return fmt.Sprintf("%d to %d", lo, hi)
	}
}

func (m *mapView) intp(key string, aliases []string, dst **int, lo, hi int64) {
	_, v, path, ok := m.get(key, aliases...)
	if !ok {
		return
	}
	if n, ok := m.intValue(v, path, lo, hi); ok {
		*dst = &n
	}
}

func (m *mapView) integer(key string, dst *int, lo, hi int64) {
	var p *int
	m.intp(key, nil, &p, lo, hi)
	if p != nil {
		*dst = *p
	}
}

func (m *mapView) boolValue(v *yaml.Node, path string) (bool, bool) {
	if !m.scalar(v, path, "true or false", "!!bool") {
		return false, false
	}
	var b bool
	if err := v.Decode(&b); err != nil {
		m.d.errorf(v, path, "", "expected true or false, got %s", describe(v))
		return false, false
	}
	return b, true
}

func (m *mapView) boolp(key string, aliases []string, dst **bool) {
	_, v, path, ok := m.get(key, aliases...)
	if !ok {
		return
	}
	if b, ok := m.boolValue(v, path); ok {
		*dst = &b
	}
}

func (m *mapView) boolean(key string, dst *bool) {
	var p *bool
	m.boolp(key, nil, &p)
	if p != nil {
		*dst = *p
	}
}

func (m *mapView) floatp(key string, aliases []string, dst **float64, lo float64) {
	_, v, path, ok := m.get(key, aliases...)
	if !ok {
		return
	}
	if !m.scalar(v, path, "a number", "!!int", "!!float") {
		return
	}
	var f float64
	if err := v.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		m.d.errorf(v, path, "", "expected a finite number, got %s", describe(v))
		return
	}
	if f < lo {
		m.d.errorf(v, path, "", "%s is out of range; allowed %g or more", v.Value, lo)
		return
	}
	*dst = &f
}

// seq returns the items of key's list value, or ok=false after reporting a type error.
func (m *mapView) seq(key string, aliases ...string) (items []*yaml.Node, path string, ok bool) {
	_, v, path, ok := m.get(key, aliases...)
	if !ok {
		return nil, path, false
	}
	if v.Kind != yaml.SequenceNode {
		m.d.errorf(v, path, "", "expected a list, got %s", describe(v))
		return nil, path, false
	}
	return v.Content, path, true
}

func idx(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func (m *mapView) strList(key string, aliases []string, dst *[]string, checks ...strCheck) {
	items, path, ok := m.seq(key, aliases...)
	if !ok {
		return
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		var s string
		if m.strValue(resolve(it), idx(path, i), &s, checks...) {
			out = append(out, s)
		}
	}
	*dst = out
}

func (m *mapView) intList(key string, aliases []string, dst *[]int, lo, hi int64) {
	items, path, ok := m.seq(key, aliases...)
	if !ok {
		return
	}
	out := make([]int, 0, len(items))
	for i, it := range items {
		if n, ok := m.intValue(resolve(it), idx(path, i), lo, hi); ok {
			out = append(out, n)
		}
	}
	*dst = out
}

// strMap decodes a mapping of string to string; checks apply to each key and each value.
func (m *mapView) strMap(key string, dst *map[string]string, checks ...strCheck) {
	_, v, path, ok := m.get(key)
	if !ok {
		return
	}
	sub := m.d.mapping(v, path)
	if sub == nil {
		return
	}
	out := make(map[string]string, len(sub.order))
	for _, name := range sub.order {
		if !sub.keyPasses(name, checks) {
			continue
		}
		var s string
		if sub.strValue(resolve(sub.entries[name].v), join(path, name), &s, checks...) {
			out[name] = s
		}
	}
	*dst = out
}

// keyPasses applies checks to the key name itself, reporting at the key.
func (m *mapView) keyPasses(name string, checks []strCheck) bool {
	for _, c := range checks {
		if sev, msg, hint := c(name); msg != "" {
			m.d.report(sev, m.entries[name].k, join(m.path, name), msg, hint)
			if sev == SeverityError {
				return false
			}
		}
	}
	return true
}

// obj decodes key's mapping value with fn; it returns false when key is absent or not a mapping.
func (m *mapView) obj(key string, aliases []string, fn func(*mapView)) bool {
	_, v, path, ok := m.get(key, aliases...)
	if !ok {
		return false
	}
	sub := m.d.mapping(v, path)
	if sub == nil {
		return false
	}
	fn(sub)
	sub.finish()
	return true
}

// Reusable string checks.

// enum accepts exactly one of values (case-sensitive, like upstream serde); noun names the
// kind of value in the message, e.g. `unknown gpu tier "a100"`.
func enum(noun string, values ...string) strCheck {
	return func(s string) (Severity, string, string) {
		if slices.Contains(values, s) {
			return 0, "", ""
		}
		hint := "valid: " + strings.Join(values, ", ")
		for _, v := range values {
			if strings.EqualFold(v, s) {
				hint = fmt.Sprintf("values are case-sensitive: use %q", v)
			}
		}
		return SeverityError, fmt.Sprintf("unknown %s %s", noun, excerpt.Quote(s)), hint
	}
}

func pattern(re *regexp.Regexp, what string) strCheck {
	return func(s string) (Severity, string, string) {
		if re.MatchString(s) {
			return 0, "", ""
		}
		return SeverityError, fmt.Sprintf("%s is not %s", excerpt.Quote(s), what), "must match " + re.String()
	}
}

func maxLen(n int) strCheck {
	return func(s string) (Severity, string, string) {
		if len(s) <= n {
			return 0, "", ""
		}
		return SeverityError, fmt.Sprintf("too long (%d characters, at most %d)", len(s), n), ""
	}
}

// sizeCheck parses a memory/disk size with ParseSize: unparseable is an error; parseable but
// outside the upstream schema's ^\d+(MB|GB)$ form is a portability warning. allowZero accepts
// "0GB"-style values (a workspace size of zero disables the Northflank volume).
func sizeCheck(allowZero bool) strCheck {
	return func(s string) (Severity, string, string) {
		if allowZero && isZeroSize(s) {
			return 0, "", ""
		}
		if _, err := ParseSize(s); err != nil {
			return SeverityError, err.Error(), "write a whole number and a unit, e.g. 512MB or 4GB"
		}
		if !SchemaSizeForm(s) {
			return SeverityWarning, fmt.Sprintf("size %s is understood here but not by upstream Sindri, which accepts only <number>MB or <number>GB", excerpt.Quote(s)),
				"use MB or GB (both are binary: 1GB = 1024MB) to keep the file portable"
		}
		return 0, "", ""
	}
}

// isZeroSize reports whether s is zero in a unit ParseSize knows, e.g. "0GB".
func isZeroSize(s string) bool {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] == '0' {
		i++
	}
	if i == 0 || (i < len(t) && t[i] >= '1' && t[i] <= '9') {
		return false
	}
	_, ok := sizeUnits[strings.ToUpper(strings.TrimSpace(t[i:]))]
	return ok
}
