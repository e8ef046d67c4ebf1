package jobs

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaPath is the published job schema (docs/schemas/job.v1.json).
var schemaPath = filepath.Join("..", "..", "docs", "schemas", "job.v1.json")

func compileJobSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	abs, err := filepath.Abs(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(abs)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaPath, err)
	}
	return s
}

func instance(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return v
}

func TestJobSchemaAcceptsEncodedJobs(t *testing.T) {
	t.Parallel()
	s := compileJobSchema(t)
	for _, kind := range Kinds {
		j := validJob(t)
		j.Kind = kind
		if kind == KindImageDelete {
			j.Image = "ami-0123456789abcdef0"
		}
		b, err := j.Encode()
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if err := s.Validate(instance(t, b)); err != nil {
			t.Errorf("schema refuses a valid %s job: %v\n%s", kind, err, b)
		}
	}
	j := validJob(t)
	j.Options = Options{Force: true, TTL: Duration(36 * 60 * 60 * 1e9)}
	j.SealedSecrets = "c2VhbGVk"
	b, _ := j.Encode()
	if err := s.Validate(instance(t, b)); err != nil {
		t.Errorf("schema refuses options/sealed_secrets: %v\n%s", err, b)
	}
}

// TestJobSchemaAgreesWithValidate checks that the schema refuses what Validate refuses.
func TestJobSchemaAgreesWithValidate(t *testing.T) {
	t.Parallel()
	s := compileJobSchema(t)
	for name, override := range map[string]string{
		"v2":              `"v":2`,
		"uuid v4":         `"id":"6f1d9c1e-3b1a-4c8e-9f2a-1b2c3d4e5f60"`,
		"unknown kind":    `"kind":"teleport"`,
		"env uppercase":   `"env":"App"`,
		"generation 0":    `"generation":0`,
		"provider dot":    `"provider":"a.b"`,
		"sha short":       `"sha":"abc"`,
		"empty config":    `"config":{"path":"sindri.yaml","text":""}`,
		"created_at text": `"created_at":"yesterday"`,
	} {
		b := []byte(job(override))
		if err := s.Validate(instance(t, b)); err == nil {
			t.Errorf("%s: schema accepts %s", name, b)
		}
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: Decode accepts %s", name, b)
		}
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(job(`"v":1`)), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "provider")
	b, _ := json.Marshal(m)
	if err := s.Validate(instance(t, b)); err == nil {
		t.Errorf("schema accepts a job without provider")
	}
}

func TestImageDeleteNeedsImageInBothValidators(t *testing.T) {
	t.Parallel()
	s := compileJobSchema(t)
	j := validJob(t)
	j.Kind = KindImageDelete
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(instance(t, b)); err == nil {
		t.Error("schema accepts an image-delete job without image")
	}
	if err := j.Validate(); err == nil || !strings.Contains(err.Error(), `"image"`) {
		t.Errorf("Validate = %v, want an error naming field image", err)
	}
	if !KindImageBuild.Mutates() || KindImageList.Mutates() || !KindImageList.Image() || KindDeploy.Image() {
		t.Error("image kinds' table is wrong")
	}
	if KindImageBuild.LeaseKey("web") != "image.web" || KindDeploy.LeaseKey("web") != "web" || !ValidLeaseKey("image.web") || ValidLeaseKey("image.") {
		t.Error("lease keys are wrong")
	}
}
