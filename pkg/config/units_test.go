package config

import (
	"errors"
	"testing"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"512MB", 512 * MiB, true},
		{"4GB", 4 * GiB, true},
		{"4gb", 4 * GiB, true},
		{"4Gi", 4 * GiB, true},
		{"4GiB", 4 * GiB, true},
		{"4 GB", 4 * GiB, true},
		{" 4GB ", 4 * GiB, true},
		{"1TB", TiB, true},
		{"2Ti", 2 * TiB, true},
		{"64K", 64 * KiB, true},
		{"100M", 100 * MiB, true},
		{"", 0, false},
		{"GB", 0, false},
		{"4", 0, false},
		{"0GB", 0, false},
		{"-1GB", 0, false},
		{"+1GB", 0, false},
		{"1.5GB", 0, false},
		{"4XB", 0, false},
		{"4B", 0, false},
		{"4PB", 0, false},
		{"9999999999999999999GB", 0, false},
		{"8589934592GB", 0, false}, // 2^33 GiB overflows int64
		{"8388607TB", 8388607 * TiB, true},
		{"8388608TB", 0, false},
	}
	for _, tc := range cases {
		got, err := ParseSize(tc.in)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
		if !tc.ok && (err == nil || !errors.Is(err, ErrBadSize)) {
			t.Errorf("ParseSize(%q) = %d, %v; want an ErrBadSize error", tc.in, got, err)
		}
	}
}

func TestSchemaSizeForm(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"4GB": true, "512MB": true, "0GB": true, "4Gi": false, "4gb": false, "4 GB": false, "1TB": false, "GB": false, "": false} {
		if got := SchemaSizeForm(in); got != want {
			t.Errorf("SchemaSizeForm(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestIsZeroSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"0GB": true, "00MB": true, "0": false, "10GB": false, "0XB": false, "": false, "05GB": false} {
		if got := isZeroSize(in); got != want {
			t.Errorf("isZeroSize(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestAccessors(t *testing.T) {
	t.Parallel()
	if got := (Workspace{Size: "512MB"}).SizeGB(); got != 1 {
		t.Errorf("SizeGB(512MB) = %d, want 1 (rounded up)", got)
	}
	if got := (Workspace{Size: "0GB"}).SizeBytes(); got != 0 {
		t.Errorf("SizeBytes(0GB) = %d", got)
	}
	if got := (Resources{Memory: "4GB"}).MemoryMB(); got != 4096 {
		t.Errorf("MemoryMB(4GB) = %d", got)
	}
	if got := (DinDConfig{StorageSize: "20GB"}).StorageSizeBytes(); got != 20*GiB {
		t.Errorf("StorageSizeBytes = %d", got)
	}
	off := false
	if (Extensions{AutoInstall: &off}).AutoInstallEnabled() || !(Extensions{}).AutoInstallEnabled() {
		t.Error("AutoInstallEnabled")
	}
}
