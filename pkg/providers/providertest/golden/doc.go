// Package golden compares test output with golden files under testdata/ and normalises the
// parts of that output that change from run to run.
//
// A provider test renders what it wants to pin (the argv a CLI was called with, a compose
// file, an API request body), passes it through the normalisers that apply, and compares:
//
//	got := golden.Normalize(out, golden.IDs, golden.Timestamps, golden.LocalPorts)
//	golden.Compare(t, filepath.Join("testdata", "deploy.argv.golden"), got)
//
// Golden files are rewritten only by running the tests with -update
// (go test ./pkg/providers/fly/ -update), never by hand. The flag belongs to this package, so
// a test package that imports golden must not define its own -update flag (the flag package
// panics on a second definition); it reads Updating instead.
package golden
