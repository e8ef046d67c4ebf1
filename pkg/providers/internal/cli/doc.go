// Package cli runs the command-line tools that some providers drive (devpod, packer, cloud
// CLIs) with the same guarantees everywhere: an explicit environment, secrets kept out of argv
// and out of every line and error, output streamed to the job's Reporter as it happens, and a
// cancellation that lets the tool clean up (SIGINT to its whole process group, then SIGTERM,
// then SIGKILL).
//
// A provider builds a Cmd for each call and maps the tool's failures onto the providers
// sentinels:
//
//	f, err := cli.WriteSecretFile("", "vars.pkrvars.hcl", vars) // 0600, private directory
//	if err != nil { ... }
//	defer f.Remove()
//	res, err := cli.Run(ctx, cli.Cmd{
//		Path:     p.cfg.PackerBinary, // "packer" or a path
//		Setting:  "providers.packer.binary",
//		Args:     []string{"build", "-machine-readable", "-var-file", f.Path, dir},
//		Env:      []string{"PATH=" + p.cfg.Path, "HOME=" + home},
//		Secrets:  secretValues,
//		Reporter: r,
//		ExitCodes: map[int]error{2: providers.ErrInvalidSpec},
//	})
//
// Output of the tool that is data (JSON from "devpod status --output json") goes to
// Cmd.Stdout instead of the Reporter. Tests of a provider use package clitest to put a fake
// binary in place of the tool and golden-test the exact argv it was given, and
// ParseMachineReadable to read packer's -machine-readable lines.
package cli
