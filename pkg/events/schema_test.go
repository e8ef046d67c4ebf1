package events

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var schemaDir = filepath.Join("..", "..", "docs", "schemas")

// eventSchemas compiles docs/schemas/event.<name>.v1.json for every type, resolving the shared
// envelope and provider schemas from the same directory by their $id.
func eventSchemas(t *testing.T) map[Type]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	files, err := filepath.Glob(filepath.Join(schemaDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas in %s: %v", schemaDir, err)
	}
	ids := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if id == "" {
			t.Fatalf("%s has no $id", f)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ids[filepath.Base(f)] = id
	}
	out := map[Type]*jsonschema.Schema{}
	for _, tp := range Types {
		file := "event." + shortName(tp) + ".v1.json"
		id, ok := ids[file]
		if !ok {
			t.Errorf("no schema file %s for %s", file, tp)
			continue
		}
		s, err := c.Compile(id)
		if err != nil {
			t.Fatalf("compile %s: %v", file, err)
		}
		out[tp] = s
	}
	return out
}

func validate(t *testing.T, s *jsonschema.Schema, b []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	return s.Validate(v)
}

func TestEventSchemasAcceptEncodedEvents(t *testing.T) {
	t.Parallel()
	schemas := eventSchemas(t)
	for _, ev := range sampleEnvelopes(t) {
		b, err := ev.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, schemas[ev.Type], b); err != nil {
			t.Errorf("%s: schema refuses an encoded event: %v\n%s", ev.Type, err, b)
		}
		// Every other type's schema refuses it (the type constant differs).
		for tp, s := range schemas {
			if tp != ev.Type && validate(t, s, b) == nil {
				t.Errorf("schema of %s accepts a %s event", tp, ev.Type)
			}
		}
	}
	// A minimal succeeded (destroy: no provider result) is valid too.
	ev, _ := NewEnvelope(sampleJobID, 9, "urn:x", sampleTime, &Succeeded{Kind: "destroy", Env: "app", Provider: "fly", Generation: 3})
	b, _ := ev.Encode()
	if err := validate(t, schemas[TypeSucceeded], b); err != nil {
		t.Errorf("minimal succeeded refused: %v", err)
	}
}

func TestEventSchemasRefuseBadEvents(t *testing.T) {
	t.Parallel()
	schemas := eventSchemas(t)
	good, err := os.ReadFile(filepath.Join("testdata", "events", "succeeded.json"))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	data := func(m map[string]any) map[string]any { return m["data"].(map[string]any) }
	for name, b := range map[string][]byte{
		"seq 0":             edit(func(m map[string]any) { m["seq"] = 0 }),
		"specversion":       edit(func(m map[string]any) { m["specversion"] = "0.3" }),
		"subject not uuid7": edit(func(m map[string]any) { m["subject"] = "job-1" }),
		"no source":         edit(func(m map[string]any) { delete(m, "source") }),
		"no data field":     edit(func(m map[string]any) { delete(data(m), "duration_ms") }),
		"bad state":         edit(func(m map[string]any) { data(m)["deployment"].(map[string]any)["state"] = "RUNNING" }),
		"bad kind":          edit(func(m map[string]any) { data(m)["kind"] = "teleport" }),
		"env too loud":      edit(func(m map[string]any) { data(m)["env"] = "MyApp" }),
	} {
		if err := validate(t, schemas[TypeSucceeded], b); err == nil {
			t.Errorf("%s: schema accepts %s", name, b)
		}
	}
}
