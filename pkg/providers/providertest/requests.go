package providertest

import (
	"sync"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// RecordRequests installs a providers.RequestObserver for the rest of the test and returns a
// function listing, in order, the requests reported under provider (other providers' requests,
// from tests running alongside, are ignored). The observer is process-wide: a test using it
// must not run in parallel with another that installs one.
func RecordRequests(t testing.TB, provider string) (recorded func() []providers.APIRequest) {
	t.Helper()
	var mu sync.Mutex
	var got []providers.APIRequest
	t.Cleanup(providers.ObserveRequests(func(r providers.APIRequest) {
		if r.Provider != provider {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r)
	}))
	return func() []providers.APIRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]providers.APIRequest(nil), got...)
	}
}
