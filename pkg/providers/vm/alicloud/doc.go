// Package alicloud is a thin typed client of the Alibaba Cloud ECS API (RPC style, version
// 2014-05-26, ecs.<region>.aliyuncs.com) calls the VM provider makes: RunInstances,
// DescribeInstances, StopInstance, StartInstance, DeleteInstance, DescribeImages,
// DeleteImage and DeleteSnapshot. Every request is a form POST signed with RPC signature
// version 1.0 (HMAC-SHA1 over the sorted, percent-encoded parameters, with a fresh
// SignatureNonce and Timestamp per attempt); see sign.go.
//
// Errors are *providers.APIError; Cause maps ECS's error codes onto the providers sentinels
// in one table. ECS answers throttling (Throttling, Throttling.User, ...) with HTTP 400, so
// the client retries those codes itself and marks the final error retryable.
package alicloud
