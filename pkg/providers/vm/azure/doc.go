// Package azure is the small Azure Resource Manager client the vm provider runs
// environments on Azure with: Microsoft.Compute virtual machines (create or update, get with
// the instance view, list in a resource group, tag, deallocate, power off, start, delete),
// Microsoft.Network network interfaces and public IP addresses (create, get, list, delete)
// and managed images (list, get, delete). Long-running calls are followed through their Azure-AsyncOperation URL until
// Succeeded, Failed or Canceled. It authenticates with the client-credentials grant of a
// service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET) at the
// Microsoft identity platform's token endpoint, and sends through the project's REST kit.
package azure
