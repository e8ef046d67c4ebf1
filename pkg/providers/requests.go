package providers

import "sync/atomic"

// APIRequest is one request a provider made to its platform: an HTTP request of the REST kit
// (each attempt counts) or one run of a command-line tool. Every field is a fixed word, never
// a value of a job (no environment or resource names), so that it can label a metric.
type APIRequest struct {
	// Provider is the provider's registry name ("fly", "vm").
	Provider string
	// Operation names the kind of request: the REST request's Operation (its HTTP method when
	// it names none), or the command's name ("packer build").
	Operation string
	// Status is the HTTP status code ("200", "503") or "error" when no response came; for a
	// command, "ok", "failed" (a non-zero exit), "canceled" or "not_started".
	Status string
}

// RequestObserver receives every APIRequest of the process. It must be fast and safe for
// concurrent use: it runs on the provider's own goroutine.
type RequestObserver func(APIRequest)

// requestObserver is the process's observer. It is a process-wide hook, set once by a main
// (the executor's metrics), so that the REST and CLI kits every provider is built on can report
// requests without each provider's configuration carrying a metrics dependency.
var requestObserver atomic.Pointer[RequestObserver]

// ObserveRequests makes f the process's RequestObserver (nil: none) and returns a function
// that restores the previous one.
func ObserveRequests(f RequestObserver) (restore func()) {
	var p *RequestObserver
	if f != nil {
		p = &f
	}
	prev := requestObserver.Swap(p)
	return func() { requestObserver.Store(prev) }
}

// ReportAPIRequest hands r to the process's RequestObserver, if any. The provider kits call it.
func ReportAPIRequest(r APIRequest) {
	if f := requestObserver.Load(); f != nil {
		(*f)(r)
	}
}
