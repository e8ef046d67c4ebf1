package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sindri/deploy/v3/pkg/config"
)

// runValidate checks one sindri.yaml and prints every problem as file:line:col. Exit 1 when
// the file has errors, 2 for usage or I/O problems.
func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("c", "", "path of the sindri.yaml to check (default: discovered from the current directory)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *path == "" {
		wd, err := os.Getwd()
		if err == nil {
			*path, err = config.Discover(wd)
		}
		if err != nil {
			fmt.Fprintln(stderr, "validate:", err)
			return 2
		}
	}
	_, diags, err := config.LoadFile(*path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "validate: %s: no such file\n", *path)
		} else {
			fmt.Fprintln(stderr, "validate:", err)
		}
		return 2
	}
	for _, d := range diags {
		fmt.Fprintln(stdout, d.String())
	}
	if diags.HasErrors() {
		fmt.Fprintf(stdout, "%s: %d error(s), %d warning(s)\n", *path, len(diags.Errors()), len(diags.Warnings()))
		return 1
	}
	fmt.Fprintf(stdout, "%s: valid (%d warning(s))\n", *path, len(diags.Warnings()))
	return 0
}
