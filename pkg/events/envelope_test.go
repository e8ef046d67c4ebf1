package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

const sampleJobID = "0192f0c4-8d3a-7b2c-9d1e-2f3a4b5c6d7e"

var sampleTime = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// sampleData returns one realistic payload per event type.
func sampleData() []Data {
	hourly := 0.12
	created := sampleTime.Add(-time.Minute)
	return []Data{
		&Accepted{Worker: "executor-1", Attempt: 1, Kind: jobs.KindDeploy, Env: "myapp-pr-42", Provider: "docker", Generation: 5},
		&Started{Worker: "executor-1", Attempt: 1, LeaseExpires: sampleTime.Add(2 * time.Minute)},
		&Log{Level: LevelInfo, Message: "pulling image ghcr.io/pacphi/sindri:v3", Step: "image"},
		&Progress{Step: "create container", Done: 2, Total: 4, Message: "starting"},
		&Succeeded{
			Kind: jobs.KindDeploy, Env: "myapp-pr-42", Provider: "docker", Generation: 5,
			Deployment: &providers.Deployment{
				Env: "myapp-pr-42", Provider: "docker", Handle: "docker/v1:3f2a", State: providers.StateRunning,
				Connection: &providers.Connection{ExecCommand: "docker exec -it myapp-pr-42 bash", HTTPURL: "http://127.0.0.1:8080"},
				Changed:    true,
			},
			Status: &providers.Status{Env: "myapp-pr-42", Provider: "docker", State: providers.StateRunning,
				Addresses:  []providers.Address{{Type: providers.AddressHTTP, Value: "127.0.0.1", Port: 8080}},
				Timestamps: providers.Timestamps{CreatedAt: &created}},
			Plan: &providers.Plan{Provider: "docker",
				Actions:       []providers.PlannedAction{{Action: providers.ActionCreate, Resource: "container", Description: "create myapp-pr-42"}},
				Resources:     []providers.PlannedResource{{ResourceType: "container", Name: "myapp-pr-42"}},
				EstimatedCost: &providers.CostEstimate{Hourly: &hourly, Currency: "USD"},
				Calls:         []string{"POST /containers/create?name=myapp-pr-42"},
				Artifacts:     map[string]string{"docker-compose.yml": "services: {}\n"}},
			URL: "http://127.0.0.1:8080", Connect: "docker exec -it myapp-pr-42 bash", DurationMS: 4200,
		},
		&Failed{Code: FailProvider, Message: "docker: create container: HTTP 409 Conflict", Retryable: false, Attempt: 1, LastLines: []string{"creating"}},
		&Superseded{Generation: 4, DesiredGeneration: 5, Reason: "generation 4 is older than the desired generation 5"},
		&Retrying{Reason: RetryLeaseHeld, Message: "environment myapp-pr-42 is leased", Attempt: 1, MaxAttempts: 5, Delay: jobs.Duration(10 * time.Second)},
		&Deadlettered{Attempts: 5, Message: "fly: HTTP 503 after 5 attempts"},
	}
}

func sampleEnvelopes(t *testing.T) []*Envelope {
	t.Helper()
	var out []*Envelope
	for i, d := range sampleData() {
		ev, err := NewEnvelope(sampleJobID, uint64(i+1), "urn:sindri:executor:executor-1", sampleTime, d)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func shortName(tp Type) string {
	return strings.TrimSuffix(strings.TrimPrefix(string(tp), "dev.sindri.job."), ".v1")
}

func TestSampleCoversEveryType(t *testing.T) {
	t.Parallel()
	seen := map[Type]bool{}
	for _, d := range sampleData() {
		seen[d.EventType()] = true
	}
	for _, tp := range Types {
		if !seen[tp] {
			t.Errorf("no sample for %s", tp)
		}
	}
	if len(newData) != len(Types) {
		t.Errorf("newData has %d entries, Types %d", len(newData), len(Types))
	}
}

func TestEnvelopeRoundTripGolden(t *testing.T) {
	t.Parallel()
	for _, ev := range sampleEnvelopes(t) {
		b, err := ev.Encode()
		if err != nil {
			t.Fatalf("%s: %v", ev.Type, err)
		}
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, b, "", "  ")
		pretty.WriteByte('\n')
		golden := filepath.Join("testdata", "events", shortName(ev.Type)+".json")
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if !bytes.Equal(pretty.Bytes(), want) {
			t.Errorf("%s: encoding differs from %s:\n got %s\nwant %s", ev.Type, golden, pretty.Bytes(), want)
		}
		got, err := Decode(want)
		if err != nil {
			t.Fatalf("Decode %s: %v", golden, err)
		}
		if reflect.TypeOf(got.Data) != reflect.TypeOf(ev.Data) {
			t.Errorf("%s decoded into %T, want %T", ev.Type, got.Data, ev.Data)
		}
		if !reflect.DeepEqual(got, ev) {
			t.Errorf("%s: round trip differs:\n got %+v\nwant %+v", ev.Type, got, ev)
		}
	}
}

func TestEnvelopeAttributes(t *testing.T) {
	t.Parallel()
	ev := sampleEnvelopes(t)[0]
	b, _ := ev.Encode()
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(b, &attrs); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"specversion": `"1.0"`, "id": `"` + sampleJobID + `-1"`, "type": `"dev.sindri.job.accepted.v1"`,
		"subject": `"` + sampleJobID + `"`, "datacontenttype": `"application/json"`, "seq": `1`,
		"time": `"2026-11-28T12:00:00Z"`,
	} {
		if got := string(attrs[k]); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
}

func TestTerminalTypes(t *testing.T) {
	t.Parallel()
	want := map[Type]bool{TypeSucceeded: true, TypeFailed: true, TypeSuperseded: true, TypeDeadlettered: true}
	for _, tp := range Types {
		if tp.Terminal() != want[tp] {
			t.Errorf("%s.Terminal() = %v", tp, tp.Terminal())
		}
		st, ok := tp.Status()
		if ok && want[tp] != st.Terminal() {
			t.Errorf("%s maps to status %s whose Terminal() = %v", tp, st, st.Terminal())
		}
		if !ok && (tp != TypeLog && tp != TypeProgress) {
			t.Errorf("%s has no status", tp)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	good, err := sampleEnvelopes(t)[2].Encode()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		_ = json.Unmarshal(good, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	tests := map[string]struct {
		in   []byte
		want error
	}{
		"not json":     {[]byte(`{"specversion":`), ErrMalformedEvent},
		"unknown type": {edit(func(m map[string]any) { m["type"] = "dev.sindri.job.exploded.v1" }), ErrUnknownEventType},
		"v2 type":      {edit(func(m map[string]any) { m["type"] = "dev.sindri.job.log.v2" }), ErrUnknownEventType},
		"specversion":  {edit(func(m map[string]any) { m["specversion"] = "0.3" }), ErrMalformedEvent},
		"no id":        {edit(func(m map[string]any) { delete(m, "id") }), ErrMalformedEvent},
		"no source":    {edit(func(m map[string]any) { delete(m, "source") }), ErrMalformedEvent},
		"no subject":   {edit(func(m map[string]any) { delete(m, "subject") }), ErrMalformedEvent},
		"no time":      {edit(func(m map[string]any) { delete(m, "time") }), ErrMalformedEvent},
		"seq 0":        {edit(func(m map[string]any) { m["seq"] = 0 }), ErrMalformedEvent},
		"no data":      {edit(func(m map[string]any) { delete(m, "data") }), ErrMalformedEvent},
		"data wrong":   {edit(func(m map[string]any) { m["data"] = map[string]any{"message": 12} }), ErrMalformedEvent},
		"data not obj": {edit(func(m map[string]any) { m["data"] = "text" }), ErrMalformedEvent},
	}
	for name, tt := range tests {
		if _, err := Decode(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("%s: Decode error = %v, want %v", name, err, tt.want)
		}
	}
}

func TestNewEnvelopeErrors(t *testing.T) {
	t.Parallel()
	if _, err := NewEnvelope("a.b", 1, "s", sampleTime, &Log{}); !errors.Is(err, ErrBadSubject) {
		t.Errorf("bad job id: %v", err)
	}
	if _, err := NewEnvelope(sampleJobID, 0, "s", sampleTime, &Log{}); !errors.Is(err, ErrMalformedEvent) {
		t.Errorf("seq 0: %v", err)
	}
	if _, err := NewEnvelope(sampleJobID, 1, "", sampleTime, &Log{}); !errors.Is(err, ErrMalformedEvent) {
		t.Errorf("no source: %v", err)
	}
	if _, err := NewEnvelope(sampleJobID, 1, "s", sampleTime, nil); !errors.Is(err, ErrMalformedEvent) {
		t.Errorf("nil data: %v", err)
	}
	ev, _ := NewEnvelope(sampleJobID, 1, "s", sampleTime, &Log{})
	ev.Type = TypeFailed // type and data disagree
	if _, err := ev.Encode(); !errors.Is(err, ErrMalformedEvent) {
		t.Errorf("type/data mismatch: %v", err)
	}
}
