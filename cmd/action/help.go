package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sindri/deploy/v3/internal/version"
)

// commandHelp is the help of each command path ("" for the program, "local", "local plan"...).
// `-h`/`--help` anywhere before a "--", or `help PATH...`, prints the entry of the longest
// known prefix of the command path, so a verb without an entry of its own gets its parent's
// help. A file adding a verb adds its entry here (in an init func or in this literal).
var commandHelp = map[string]string{
	"":         usage,
	"validate": validateUsage,
	"local":    localUsage,
	"local plan": localUsage + `
plan asks the provider what deploy would do, changing nothing. With -json the plan is in the
result's "plan" field; -artifacts DIR writes its rendered files (docker-compose.yml, ...).
`,
	"local status": localUsage + `
status reports the environment's observed state (running, stopped, not deployed...), its
addresses and resource use. With -json they are in the result's "status" field.
`,
	"version": "usage: sindri-action version [-json]\n\nprints the version, commit, Go version and platform the binary was built from\n",
}

// commandPath is the leading words of args that are not flags ("local", "deploy"), without a
// leading "help".
func commandPath(args []string) []string {
	if len(args) > 0 && args[0] == "help" {
		args = args[1:]
	}
	var path []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		path = append(path, a)
	}
	return path
}

// writeHelp prints the help of the longest known prefix of path.
func writeHelp(w io.Writer, path []string) {
	for n := len(path); n >= 0; n-- {
		if text, ok := commandHelp[strings.Join(path[:n], " ")]; ok {
			io.WriteString(w, text)
			return
		}
	}
	io.WriteString(w, usage)
}

// runVersion prints the build's version (version.Get), as text or with -json as one object.
func runVersion(name string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s version: unexpected arguments %q\n", name, fs.Args())
		return 2
	}
	info := version.Get()
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(info); err != nil {
			fmt.Fprintln(stderr, name+":", err)
			return 1
		}
		return 0
	}
	if err := info.Write(stdout, name); err != nil {
		return 1
	}
	return 0
}
