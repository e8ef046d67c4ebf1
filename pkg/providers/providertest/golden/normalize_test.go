package golden_test

import (
	"fmt"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/providertest/golden"
)

func TestNormalizers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		n    golden.Normalizer
		in   string
		want string
	}{
		{"uuid", golden.IDs, "job 0193b6f0-0000-7000-8000-00000000000a done", "job <uuid-1> done"},
		{"uuid uppercase", golden.IDs, "0193B6F0-0000-7000-8000-00000000000A", "<uuid-1>"},
		{"same id same number", golden.IDs,
			"create 3f2a9c1b4d5e6f7a8b9c, start 3f2a9c1b4d5e6f7a8b9c, rm 0a1b2c3d4e5f",
			"create <id-1>, start <id-1>, rm <id-2>"},
		{"sha256", golden.IDs, "sha256:" + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256:<id-1>"},
		{"all-digit short container id", golden.IDs, "id=123456789012", "id=<id-1>"},
		{"id after dash", golden.IDs, "vm-deadbeef0123", "vm-<id-1>"},
		{"too short", golden.IDs, "abcdef12345", "abcdef12345"},
		{"inside a word", golden.IDs, "xabcdef123456", "xabcdef123456"},
		{"unix seconds left alone by IDs", golden.IDs, "1718000000", "1718000000"},
		{"rfc3339", golden.Timestamps, "at 2024-06-10T08:15:30Z ok", "at <time> ok"},
		{"rfc3339 nano offset", golden.Timestamps, "2024-06-10T08:15:30.123456789+02:00", "<time>"},
		{"go time string", golden.Timestamps, "2024-06-10 08:15:30.5 +0000 UTC", "2024-06-10 08:15:30.5 +0000 UTC"},
		{"space separator", golden.Timestamps, "2024-06-10 08:15:30Z", "<time>"},
		{"date only", golden.Timestamps, "2024-06-10", "2024-06-10"},
		{"unix seconds", golden.UnixTimes, "1718000000,,ui,say,hi", "<unix>,,ui,say,hi"},
		{"unix millis", golden.UnixTimes, `"ts":1718000000123}`, `"ts":<unix>}`},
		{"unix nanos", golden.UnixTimes, "t=1718000000123456789", "t=<unix>"},
		{"eleven digits", golden.UnixTimes, "17180000001", "17180000001"},
		{"not unix", golden.UnixTimes, "port 8080 size 2718000000", "port 8080 size 2718000000"},
		{"ipv4 port", golden.LocalPorts, "http://127.0.0.1:49153/health", "http://127.0.0.1:<port>/health"},
		{"localhost port", golden.LocalPorts, "localhost:8080", "localhost:<port>"},
		{"ipv6 port", golden.LocalPorts, "[::1]:65535", "[::1]:<port>"},
		{"other host kept", golden.LocalPorts, "10.0.0.1:8080", "10.0.0.1:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := string(tt.n([]byte(tt.in))); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNormalizeAppliesInOrder(t *testing.T) {
	t.Parallel()
	in := "1718000000 2024-06-10T08:15:30Z 0193b6f0-0000-7000-8000-00000000000a 127.0.0.1:40000 abcdef0123456789"
	want := "<unix> <time> <uuid-1> 127.0.0.1:<port> <id-1>"
	got := golden.Normalize([]byte(in), golden.Timestamps, golden.UnixTimes, golden.IDs, golden.LocalPorts)
	if string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := golden.Normalize([]byte(in)); string(got) != in {
		t.Errorf("no normalizers changed the input: %q", got)
	}
}

func ExampleNormalize() {
	out := []byte("container 3f2a9c1b4d5e started at 2024-06-10T08:15:30Z on 127.0.0.1:49153\n")
	fmt.Printf("%s", golden.Normalize(out, golden.IDs, golden.Timestamps, golden.LocalPorts))
	// Output: container <id-1> started at <time> on 127.0.0.1:<port>
}
