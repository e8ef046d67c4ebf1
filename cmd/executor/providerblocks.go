package main

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sindri/deploy/v3/pkg/providers/builtin"
)

// fileProvider is one `provider "<name>" { ... }` block of executor.hcl. Its attributes are
// the provider's settings (builtin.Entry.Settings); which ones exist is the table's business,
// so the body is decoded by hand.
type fileProvider struct {
	Name string   `hcl:"name,label"`
	Body hcl.Body `hcl:",remain"`
}

// providerBlocks turns the provider blocks into builtin blocks, each value with its
// file:line:col. A value may be a string, a bool or a number (kept as its text); a block given
// twice and a value of another type are errors. Names and attributes are checked against the
// table by builtin.CheckBlocks.
func providerBlocks(filename string, fps []fileProvider) (map[string]builtin.Block, error) {
	out := map[string]builtin.Block{}
	var errs []error
	for _, fp := range fps {
		src := filename
		if b, ok := fp.Body.(*hclsyntax.Body); ok {
			src = pos(b.SrcRange)
		}
		if prev, ok := out[fp.Name]; ok {
			errs = append(errs, fmt.Errorf("%s: provider %q is configured twice (first at %s)", src, fp.Name, prev.Source))
			continue
		}
		attrs, diags := fp.Body.JustAttributes()
		if diags.HasErrors() {
			errs = append(errs, diags)
		}
		b := builtin.Block{Source: src, Values: map[string]builtin.Value{}}
		for name, a := range attrs {
			var v string
			if diags := gohcl.DecodeExpression(a.Expr, nil, &v); diags.HasErrors() {
				errs = append(errs, fmt.Errorf("%s: provider %q: %s: want a string, bool or number: %w", pos(a.Expr.Range()), fp.Name, name, diags))
				continue
			}
			b.Values[name] = builtin.Value{Text: v, Source: pos(a.Expr.Range())}
		}
		out[fp.Name] = b
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, builtin.CheckBlocks(out)
}

// pos formats a range's start as file:line:col.
func pos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}
