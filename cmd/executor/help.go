package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/sindri/deploy/v3/internal/version"
)

// printHelp prints the usage of the command args name (keygen, version, else the executor
// itself with every setting's flag).
func printHelp(args []string, w io.Writer) error {
	if len(args) > 0 && args[0] == "help" {
		args = args[1:]
	}
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "keygen":
		_ = keygen([]string{"-h"}, io.Discard, w) // keygen's own usage, printed by its flag set
		return nil
	case "version":
		_, err := io.WriteString(w, "usage: sindri-executor version [-json]\n\nprints the version, commit, Go version and platform the binary was built from\n")
		return err
	}
	fmt.Fprint(w, `usage:
  sindri-executor [flags]               run the executor (settings: executor.hcl, SINDRI_* variables, flags)
  sindri-executor keygen [-signing] [-o FILE]
                                        write a new secrets (or job signing) key; see keygen --help
  sindri-executor version [-json]       print the version, commit and Go version
  sindri-executor help [COMMAND]        print this, or a command's usage

flags (each also an executor.hcl attribute and a SINDRI_* variable; docs/executor.md):
`)
	fs := flag.NewFlagSet("executor", flag.ContinueOnError)
	fs.SetOutput(w)
	fs.String("config", "", "path of executor.hcl (env SINDRI_EXECUTOR_CONFIG)")
	for _, s := range settings() {
		fs.String(s.flag, "", s.usage+" (env "+s.env+", file "+s.hclPath+")")
	}
	fs.PrintDefaults()
	return nil
}

// printVersion prints version.Get, as text or with -json as one object.
func printVersion(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(w)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: version: %w", errConfig, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: version: unexpected arguments %q", errConfig, fs.Args())
	}
	info := version.Get()
	if *asJSON {
		return json.NewEncoder(w).Encode(info)
	}
	return info.Write(w, "sindri-executor")
}
