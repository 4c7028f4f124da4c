package gitops

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy bounds how ferry waits out GitHub's rate limits and server errors.
type RetryPolicy struct {
	// Attempts is the most tries of one call (default 5).
	Attempts int
	// MaxWait is the longest single wait ferry accepts; a rate-limit reset further
	// away is an error that says when to retry (default 2m).
	MaxWait time.Duration
	// Backoff is the first wait after a 5xx, doubled each time (default 1s).
	Backoff time.Duration
	// Sleep waits; tests replace it. Default: a timer that honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for x-ratelimit-reset; tests replace it.
	Now func() time.Time
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 5
	}
	if p.MaxWait <= 0 {
		p.MaxWait = 2 * time.Minute
	}
	if p.Backoff <= 0 {
		p.Backoff = time.Second
	}
	if p.Sleep == nil {
		p.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return p
}

// retryTransport retries rate-limited and failed calls as GitHub documents:
// a retry-after header is honoured as given; a primary rate limit
// (x-ratelimit-remaining: 0) waits until x-ratelimit-reset; 5xx responses back
// off exponentially. Each a bounded number of times.
type retryTransport struct {
	base   http.RoundTripper
	policy RetryPolicy
	log    *slog.Logger
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	backoff := t.policy.Backoff
	for attempt := 1; ; attempt++ {
		if attempt > 1 && req.Body != nil {
			if req.GetBody == nil {
				return nil, fmt.Errorf("%s %s: cannot retry a request whose body cannot be replayed", req.Method, req.URL.Path)
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
		resp, err := t.base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		wait, why := t.waitFor(resp, backoff)
		if wait < 0 || attempt >= t.policy.Attempts {
			return resp, nil
		}
		if wait > t.policy.MaxWait {
			resp.Body.Close()
			return nil, fmt.Errorf("%s %s: %s; retry after %s", req.Method, req.URL.Path, why, t.policy.Now().Add(wait).UTC().Format(time.RFC3339))
		}
		if why == "server error" {
			backoff *= 2
		}
		resp.Body.Close()
		t.log.Info("github: waiting before retry", "call", req.Method+" "+req.URL.Path, "reason", why, "wait", wait, "attempt", attempt)
		if err := t.policy.Sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

// waitFor returns how long to wait before retrying resp, or -1 for a response
// that is final.
func (t *retryTransport) waitFor(resp *http.Response, backoff time.Duration) (time.Duration, string) {
	switch {
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests:
		if s := resp.Header.Get("Retry-After"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n >= 0 {
				return time.Duration(n) * time.Second, "secondary rate limit"
			}
		}
		if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
			if n, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
				d := time.Unix(n, 0).Sub(t.policy.Now())
				if d < 0 {
					d = 0
				}
				return d + time.Second, "rate limit exhausted"
			}
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			return backoff, "too many requests"
		}
		return -1, ""
	case resp.StatusCode >= 500:
		return backoff, "server error"
	}
	return -1, ""
}
