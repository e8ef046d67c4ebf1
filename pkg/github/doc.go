// Package github reports sindri jobs to GitHub through the REST API (go-github v60): one sticky
// comment per environment, a Deployment per environment with truthful statuses, reactions on
// ChatOps comments, commenter permission checks and pull request lookups. Its transport honours
// Retry-After and secondary rate limits and retries 5xx with bounded, ctx-aware waits.
//
// Package githubtest holds a stateful fake of the API for tests.
package github
