package jobs

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func validJob(t *testing.T) *Job {
	t.Helper()
	j, err := New(KindDeploy, "app-pr-7", "docker")
	if err != nil {
		t.Fatal(err)
	}
	j.Generation = 2
	j.Repo = "acme/app"
	j.PR = 7
	j.SHA = "0123456789abcdef0123456789abcdef01234567"
	j.Ref = "refs/pull/7/merge"
	j.Trigger = "pull_request.synchronize"
	j.RequestedBy = "octocat"
	j.Config = ConfigBlob{Path: "sindri.yaml", Text: "version: \"3.0\"\nname: app\n"}
	j.Deadline = j.CreatedAt.Add(time.Hour)
	return j
}

func TestNew(t *testing.T) {
	t.Parallel()
	j, err := New(KindPlan, "app", "fly")
	if err != nil {
		t.Fatal(err)
	}
	id, err := uuid.Parse(j.ID)
	if err != nil || id.Version() != 7 {
		t.Errorf("id %q: version %v, err %v; want a UUIDv7", j.ID, id.Version(), err)
	}
	if j.V != WireVersion || j.CreatedAt.IsZero() || j.CreatedAt.Location() != time.UTC {
		t.Errorf("New = %+v; want v=1 and created_at set in UTC", j)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	j := validJob(t)
	j.Options = Options{Force: true, TTL: Duration(90 * time.Minute)}
	b, err := j.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !got.CreatedAt.Equal(j.CreatedAt) || !got.Deadline.Equal(j.Deadline) {
		t.Errorf("times changed: %v %v vs %v %v", got.CreatedAt, got.Deadline, j.CreatedAt, j.Deadline)
	}
	got.CreatedAt, got.Deadline = j.CreatedAt, j.Deadline
	if gb, _ := json.Marshal(got); string(gb) != string(b) {
		t.Errorf("round trip differs:\n got %s\nwant %s", gb, b)
	}
}

func TestEncodeOmitsZeroDeadline(t *testing.T) {
	t.Parallel()
	j := validJob(t)
	j.Deadline = time.Time{}
	b, err := j.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "deadline") || strings.Contains(string(b), "options") {
		t.Errorf("zero deadline/options encoded: %s", b)
	}
}

func TestDecodeTestdata(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/job.v1.json")
	if err != nil {
		t.Fatal(err)
	}
	j, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode(testdata/job.v1.json): %v", err)
	}
	if j.Kind != KindDeploy || j.PR != 42 || j.Options.TTL != Duration(48*time.Hour) {
		t.Errorf("decoded %+v", j)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	v7 := "0192f0c4-8d3a-7b2c-9d1e-2f3a4b5c6d7e"
	tests := []struct {
		name    string
		in      string
		want    error
		field   string // for ErrInvalid: a field that must be named
		partial string // for ErrUnknownVersion: the id that must come back
	}{
		{name: "not json", in: `{"v":1,`, want: ErrMalformed},
		{name: "array", in: `[1]`, want: ErrMalformed},
		{name: "wrong type", in: `{"v":1,"id":"` + v7 + `","pr":"seven"}`, want: ErrMalformed},
		{name: "missing v", in: `{"id":"` + v7 + `"}`, want: ErrUnknownVersion, partial: v7},
		{name: "v2", in: `{"v":2,"id":"` + v7 + `","kind":"teleport"}`, want: ErrUnknownVersion, partial: v7},
		{name: "v string", in: `{"v":"1"}`, want: ErrUnknownVersion},
		{name: "bad id", in: job(`"id":"123"`), want: ErrInvalid, field: "id"},
		{name: "uuid v4", in: job(`"id":"6f1d9c1e-3b1a-4c8e-9f2a-1b2c3d4e5f60"`), want: ErrInvalid, field: "id"},
		{name: "unknown kind", in: job(`"kind":"teleport"`), want: ErrInvalid, field: "kind"},
		{name: "env uppercase", in: job(`"env":"App"`), want: ErrInvalid, field: "env"},
		{name: "env digit first", in: job(`"env":"1app"`), want: ErrInvalid, field: "env"},
		{name: "env too long", in: job(`"env":"` + strings.Repeat("a", 64) + `"`), want: ErrInvalid, field: "env"},
		{name: "no provider", in: job(`"provider":""`), want: ErrInvalid, field: "provider"},
		{name: "provider dot", in: job(`"provider":"a.b"`), want: ErrInvalid, field: "provider"},
		{name: "generation 0", in: job(`"generation":0`), want: ErrInvalid, field: "generation"},
		{name: "repo", in: job(`"repo":"justname"`), want: ErrInvalid, field: "repo"},
		{name: "pr negative", in: job(`"pr":-1`), want: ErrInvalid, field: "pr"},
		{name: "sha short", in: job(`"sha":"abc123"`), want: ErrInvalid, field: "sha"},
		{name: "trigger", in: job(`"trigger":"Pull Request"`), want: ErrInvalid, field: "trigger"},
		{name: "no created_at", in: job(`"created_at":"0001-01-01T00:00:00Z"`), want: ErrInvalid, field: "created_at"},
		{name: "deadline before", in: job(`"deadline":"2020-01-01T00:00:00Z"`), want: ErrInvalid, field: "deadline"},
		{name: "deploy without config", in: job(`"config":{"path":"sindri.yaml","text":""}`), want: ErrInvalid, field: "config.text"},
		{name: "image with space", in: job(`"image":"ghcr.io/a/b:1 --privileged"`), want: ErrInvalid, field: "image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j, err := Decode([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode error = %v, want %v", err, tt.want)
			}
			for _, other := range []error{ErrMalformed, ErrUnknownVersion, ErrInvalid} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("error %v also matches %v", err, other)
				}
			}
			if tt.field != "" {
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("no *FieldError in %v", err)
				}
				if !strings.Contains(err.Error(), `"`+tt.field+`"`) {
					t.Errorf("error %q does not name field %q", err, tt.field)
				}
			}
			if tt.want == ErrUnknownVersion {
				var ve *VersionError
				if !errors.As(err, &ve) || j == nil {
					t.Fatalf("want *VersionError and a partial job, got %v, %v", err, j)
				}
				if ve.ID != tt.partial || j.ID != tt.partial {
					t.Errorf("partial id = %q/%q, want %q", ve.ID, j.ID, tt.partial)
				}
			}
		})
	}
}

// job returns a valid job's JSON with one field replaced by override ("key":value).
func job(override string) string {
	fields := map[string]string{
		"v": `1`, "id": `"0192f0c4-8d3a-7b2c-9d1e-2f3a4b5c6d7e"`, "kind": `"deploy"`,
		"env": `"app-pr-7"`, "provider": `"docker"`, "generation": `2`, "repo": `"acme/app"`,
		"pr": `7`, "sha": `"0123456789abcdef0123456789abcdef01234567"`,
		"trigger": `"pull_request.synchronize"`, "config": `{"path":"sindri.yaml","text":"name: app\n"}`,
		"created_at": `"2026-11-28T12:00:00Z"`,
	}
	k, v, _ := strings.Cut(override, ":")
	fields[strings.Trim(k, `"`)] = v
	var b strings.Builder
	b.WriteString("{")
	first := true
	for k, v := range fields {
		if !first {
			b.WriteString(",")
		}
		first = false
		b.WriteString(`"` + k + `":` + v)
	}
	b.WriteString("}")
	return b.String()
}

func TestValidateJoinsAllProblems(t *testing.T) {
	t.Parallel()
	j := &Job{V: 1, ID: "x", Kind: "nope", Env: "", Provider: ""}
	err := j.Validate()
	for _, f := range []string{`"id"`, `"kind"`, `"env"`, `"provider"`, `"created_at"`} {
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("error %v does not mention %s", err, f)
		}
	}
	var nilJob *Job
	if err := nilJob.Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil job: %v", err)
	}
}

func TestValidateStatusNeedsNoGeneration(t *testing.T) {
	t.Parallel()
	j := validJob(t)
	j.Kind, j.Generation, j.Config = KindStatus, 0, ConfigBlob{}
	if err := j.Validate(); err != nil {
		t.Errorf("status job without generation/config: %v", err)
	}
}
