package vm

import (
	"embed"
	"fmt"
)

// scriptFS holds the provisioning scripts the project ships; templates reference them as
// ${path.root}/scripts/<name>.
//
//go:embed scripts/*.sh
var scriptFS embed.FS

// scriptText returns the content of the shipped script name; the names come from
// render.scripts, so a missing one is a bug in this package.
func scriptText(name string) string {
	b, err := scriptFS.ReadFile("scripts/" + name)
	if err != nil {
		panic(fmt.Sprintf("vm: shipped script %s: %v", name, err))
	}
	return string(b)
}
