// Package cost prices environments: the executor's overrides of the providers' price tables
// (Prices), the running and stopped time an environment has accumulated (Usage), the spending
// policy an executor enforces before anything is created (Policy), and the per-repository
// record of running spend that keeps the repository limit under concurrency (Ledger).
// docs/cost.md describes them.
package cost
