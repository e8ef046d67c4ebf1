// Package rest is the HTTP client base shared by the REST providers (Fly Machines, RunPod,
// Northflank, E2B). It sends JSON, maps error responses onto *providers.APIError through a
// per-platform decoder, retries only what is safe to retry, recovers "created, but the
// response was lost" through the caller's lookup, shares one rate-limit budget per token, and
// records requests with secrets removed for golden tests and for Plan. Query APIs (EC2) use
// it too: Request.Form sends a form body, Config.Unmarshal decodes XML answers, and
// Request.ReadOnly lets a dry run send their Describe POSTs.
//
// A Client holds no per-environment state: one Client per credential serves every
// environment of an executor, and its Limiter comes from a Limiters registry built once in
// cmd and passed down.
package rest
