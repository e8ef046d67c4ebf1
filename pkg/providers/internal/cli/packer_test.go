package cli_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
)

func TestParseMachineReadable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, line string
		want       cli.PackerMessage
		wantErr    error
	}{
		{name: "version", line: "1376289459,,version,0.2.4",
			want: cli.PackerMessage{Time: time.Unix(1376289459, 0).UTC(), Type: "version", Data: []string{"0.2.4"}}},
		{name: "empty data field", line: "1376289459,,version-prerelease,",
			want: cli.PackerMessage{Time: time.Unix(1376289459, 0).UTC(), Type: "version-prerelease", Data: []string{""}}},
		{name: "ui with escapes", line: `1700000000,amazon-ebs.base,ui,say,==> a%!(PACKER_COMMA) b\nc\r`,
			want: cli.PackerMessage{Time: time.Unix(1700000000, 0).UTC(), Target: "amazon-ebs.base", Type: "ui", Data: []string{"say", "==> a, b\nc\r"}}},
		{name: "artifact", line: "1700000000,qemu.vm,artifact,0,id,ami-1%!(PACKER_COMMA)ami-2\n",
			want: cli.PackerMessage{Time: time.Unix(1700000000, 0).UTC(), Target: "qemu.vm", Type: "artifact", Data: []string{"0", "id", "ami-1,ami-2"}}},
		{name: "no data", line: "1700000000,,error-count",
			want: cli.PackerMessage{Time: time.Unix(1700000000, 0).UTC(), Type: "error-count"}},
		{name: "plain log line", line: "==> qemu.vm: Deleting VM", wantErr: cli.ErrNotMachineReadable},
		{name: "no type", line: "1700000000,,", wantErr: cli.ErrNotMachineReadable},
		{name: "bad timestamp", line: "yesterday,,ui,say,x", wantErr: cli.ErrNotMachineReadable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := cli.ParseMachineReadable(tt.line)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !got.Time.Equal(tt.want.Time) || got.Target != tt.want.Target || got.Type != tt.want.Type || !slices.Equal(got.Data, tt.want.Data) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPackerMessageUI(t *testing.T) {
	t.Parallel()
	m, err := cli.ParseMachineReadable("1700000000,b,ui,error,Build failed%!(PACKER_COMMA) sorry")
	if err != nil {
		t.Fatal(err)
	}
	if kind, text, ok := m.UI(); !ok || kind != "error" || text != "Build failed, sorry" {
		t.Errorf("UI() = %q, %q, %v", kind, text, ok)
	}
	m.Type = "artifact"
	if _, _, ok := m.UI(); ok {
		t.Error("UI() ok for an artifact message")
	}
}
