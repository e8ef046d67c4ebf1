package vm

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// raw returns the tokens of the HCL expression src, written as is. It is the only way to put
// an interpolation ("${path.root}/scripts/init.sh") or a reference (var.x) into a template:
// SetAttributeValue escapes "${" in strings, which is right for every value that comes from
// the config. src is always a constant of this package, never config text.
func raw(src string) hclwrite.Tokens {
	f, diags := hclwrite.ParseConfig([]byte("x = "+src+"\n"), "raw.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		panic(fmt.Sprintf("vm: bad raw expression %q: %s", src, diags))
	}
	return f.Body().GetAttribute("x").Expr().BuildTokens(nil)
}

// setRaw sets name to the raw expression src.
func setRaw(b *hclwrite.Body, name, src string) { b.SetAttributeRaw(name, raw(src)) }

func setStr(b *hclwrite.Body, name, v string) { b.SetAttributeValue(name, cty.StringVal(v)) }

// setStrIf sets name only when v is not empty.
func setStrIf(b *hclwrite.Body, name, v string) {
	if v != "" {
		setStr(b, name, v)
	}
}

func setInt(b *hclwrite.Body, name string, v int) {
	b.SetAttributeValue(name, cty.NumberIntVal(int64(v)))
}

func setBool(b *hclwrite.Body, name string, v bool) { b.SetAttributeValue(name, cty.BoolVal(v)) }

// setList sets name to a list of strings, when there are any.
func setList(b *hclwrite.Body, name string, vs []string) {
	if len(vs) == 0 {
		return
	}
	b.SetAttributeValue(name, strList(vs))
}

func strList(vs []string) cty.Value {
	if len(vs) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	out := make([]cty.Value, len(vs))
	for i, v := range vs {
		out[i] = cty.StringVal(v)
	}
	return cty.ListVal(out)
}

// setMap sets name to a map of strings, keys in sorted order (hclwrite sorts object keys).
func setMap(b *hclwrite.Body, name string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	vals := make(map[string]cty.Value, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		vals[k] = cty.StringVal(m[k])
	}
	b.SetAttributeValue(name, cty.MapVal(vals))
}

// deref returns *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// setMaps sets each of names to m.
func setMaps(b *hclwrite.Body, m map[string]string, names ...string) {
	for _, n := range names {
		setMap(b, n, m)
	}
}
