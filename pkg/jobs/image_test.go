package jobs

import (
	"bytes"
	"testing"
)

// TestJobImageField checks the optional image field: it survives the round trip, the schema
// accepts it, a job without it still encodes without the key, and the schema refuses an empty
// or spaced reference.
func TestJobImageField(t *testing.T) {
	t.Parallel()
	s := compileJobSchema(t)
	j := validJob(t)
	j.Image = "ghcr.io/pacphi/sindri:v3.1.0"
	b, err := j.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(instance(t, b)); err != nil {
		t.Errorf("schema refuses a job with image: %v\n%s", err, b)
	}
	got, err := Decode(b)
	if err != nil || got.Image != j.Image {
		t.Fatalf("Decode image = %q, %v; want %q", got.Image, err, j.Image)
	}
	j.Image = ""
	if b, _ := j.Encode(); bytes.Contains(b, []byte(`"image"`)) {
		t.Errorf("a job without image encodes the key: %s", b)
	}
	for _, bad := range []string{`"image":""`, `"image":"a b"`, `"image":7`} {
		if err := s.Validate(instance(t, []byte(job(bad)))); err == nil {
			t.Errorf("schema accepts %s", bad)
		}
	}
}
