// Package providertest holds Fake, an in-memory (optionally file-backed) provider that records
// every operation, and Conformance, the suite every real provider must pass.
//
// Fake is for executor and end-to-end tests: it can be told to fail (permanently or
// transiently, N times), to hang until its context is done, or to be slow, and it records the
// interval of every operation so that tests can prove no two mutating operations on one
// environment overlapped. With a directory (WithDir) its state and operation log survive the
// process, so executors running as separate processes (and killed with SIGKILL) share one
// platform.
package providertest
