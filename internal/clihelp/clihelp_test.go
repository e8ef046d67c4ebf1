package clihelp

import "testing"

func TestRequested(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"local", "deploy"}, false},
		{[]string{"local", "--help"}, true},
		{[]string{"local", "plan", "-c", "x.yaml", "-h"}, true},
		{[]string{"-help"}, true},
		{[]string{"local", "deploy", "--", "--help"}, false},
		{[]string{"local", "deploy", "-env", "helpful"}, false},
	} {
		if got := Requested(tc.args); got != tc.want {
			t.Errorf("Requested(%q) = %t, want %t", tc.args, got, tc.want)
		}
	}
}
