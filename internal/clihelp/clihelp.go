// Package clihelp holds what the two binaries' command lines share about help.
package clihelp

// Requested reports whether args ask for help: -h, -help or --help before any "--" (after it,
// they are arguments).
func Requested(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}
