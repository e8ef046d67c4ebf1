// Package clitest puts a scripted fake in place of a command-line tool, so that a provider's
// tests can pin the exact argv, environment and stdin it gives the tool (with package golden)
// and replay the tool's output and exit code without installing it.
//
// The fake is the test binary itself. TestMain must call Main first:
//
//	func TestMain(m *testing.M) {
//		clitest.Main()
//		os.Exit(m.Run())
//	}
//
// New writes an executable file named like the tool whose "#!" line runs the test binary;
// Main recognises that invocation, records it and replays the first matching Rule. The
// provider under test is configured with Fake.Path as its binary and needs no other change:
// no variable is added to the environment it passes, so the recorded environment is exactly
// the provider's.
package clitest
