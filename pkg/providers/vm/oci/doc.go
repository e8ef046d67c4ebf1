// Package oci is a thin typed client of the Oracle Cloud Infrastructure Core Services API
// (iaas.<region>.oraclecloud.com/20160918) calls the VM provider makes: launch, get, list,
// act on (STOP, START) and terminate instances, read their VNICs for addresses, and list and
// delete custom images. Every request is signed with OCI's HTTP signature scheme (version 1,
// rsa-sha256 over (request-target), date and host, plus x-content-sha256, content-type and
// content-length for bodies) with the standard library; see sign.go.
//
// Errors are *providers.APIError; Cause maps OCI's error codes onto the providers sentinels
// in one table. LaunchInstance and InstanceAction send an opc-retry-token, so a request whose
// answer was lost is resent safely.
package oci
