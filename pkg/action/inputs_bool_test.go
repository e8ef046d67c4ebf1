package action

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// boolInputs are every boolean input of action.yml.
var boolInputs = []string{"wait", "comment", "deployment", "allow-forks", "dry-run"}

func TestParseBool(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"true": true, "True": true, "TRUE": true, "false": false, "False": false, "FALSE": false} {
		if got, ok := ParseBool(in); !ok || got != want {
			t.Errorf("ParseBool(%q) = %v, %v; want %v, true", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "TRUE ", " true", "true\n", "\ttrue", "tRUE", "yes", "no", "on", "off", "y", "1", "0", "t", "f", "T", "F", "truе", "true\u00a0"} {
		if got, ok := ParseBool(in); ok {
			t.Errorf("ParseBool(%q) = %v, true; want not ok", in, got)
		}
	}
}

// TestBooleanInputsStrict: every boolean input takes only the YAML 1.2 core spellings, exactly;
// anything else is an *InputError naming the input, and the message repeats at most a short
// excerpt of the value.
func TestBooleanInputsStrict(t *testing.T) {
	t.Parallel()
	for _, name := range boolInputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, v := range []string{"TRUE", "True", "true", "FALSE", "False", "false"} {
				if _, err := parse(t, map[string]string{name: v}); err != nil {
					t.Errorf("%s: %q refused: %v", name, v, err)
				}
			}
			for _, v := range []string{"TRUE ", " true", "false\n", "yes", "1", "on", "f", "True\u00a0"} {
				_, err := parse(t, map[string]string{name: v})
				var ie *InputError
				if !errors.As(err, &ie) || ie.Input != name || !errors.Is(err, ErrInvalidInput) {
					t.Errorf("%s: %q: err = %v, want an *InputError naming %s", name, v, err, name)
				}
			}
			const leaked = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"
			_, err := parse(t, map[string]string{name: leaked})
			if err == nil || strings.Contains(err.Error(), leaked[:6]) || !strings.Contains(err.Error(), `input "`+name+`"`) {
				t.Errorf("%s: a long value: err = %v, want the input named and at most a 3-rune excerpt", name, err)
			}
		})
	}
}

func TestAllowForksTrailingSpaceIsNotTrue(t *testing.T) {
	t.Parallel()
	in, err := parse(t, map[string]string{"allow-forks": "TRUE "})
	if err == nil || in.AllowForks {
		t.Errorf("allow-forks %q: AllowForks=%v, err=%v; want false and an error", "TRUE ", in.AllowForks, err)
	}
}

// TestBoolInputsAreTheDeclaredOnes: the boolean inputs tested above are exactly those action.yml
// declares with a boolean default, so a new one cannot slip past the strict parser's tests.
func TestBoolInputsAreTheDeclaredOnes(t *testing.T) {
	t.Parallel()
	var declared []string
	for name, in := range loadActionYAML(t).Inputs {
		if _, ok := ParseBool(*in.Default); ok {
			declared = append(declared, name)
		}
	}
	slices.Sort(declared)
	want := slices.Sorted(slices.Values(boolInputs))
	if !slices.Equal(declared, want) {
		t.Errorf("action.yml's boolean inputs %v, tested %v", declared, want)
	}
}
