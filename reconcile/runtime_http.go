package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// HTTPRuntime talks to ferry serve's admin API:
//
//	PUT    /admin/deployments/{name}  {"model", "versions": [{"version", "artifact", "weight"}], "sampleRate"}
//	GET    /admin/deployments/{name}  the status, with per-version request counts and latency
//	DELETE /admin/deployments/{name}  stop serving it
//
// The token, when set, goes in an Authorization: Bearer header.
type HTTPRuntime struct {
	URL    string
	Token  string
	Client *http.Client
}

var _ Runtime = (*HTTPRuntime)(nil)

// NewHTTPRuntime returns a runtime client for baseURL.
func NewHTTPRuntime(baseURL, token string) *HTTPRuntime {
	return &HTTPRuntime{URL: strings.TrimSuffix(baseURL, "/"), Token: token, Client: &http.Client{Timeout: 30 * time.Second}}
}

type adminVersion struct {
	Version      int     `json:"version"`
	Artifact     string  `json:"artifact"`
	Weight       float64 `json:"weight"`
	State        string  `json:"state,omitempty"`
	Requests     int64   `json:"requests,omitempty"`
	Errors       int64   `json:"errors,omitempty"`
	LatencyP99Ms float64 `json:"latencyP99Ms,omitempty"`
}

type adminDeployment struct {
	Model      string         `json:"model"`
	Versions   []adminVersion `json:"versions"`
	SampleRate *float64       `json:"sampleRate,omitempty"`
}

func (h *HTTPRuntime) endpoint(name string) string {
	return h.URL + "/admin/deployments/" + url.PathEscape(name)
}

func (h *HTTPRuntime) do(ctx context.Context, method, name string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.endpoint(name), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	return h.Client.Do(req)
}

// Status returns what serves deployment, nil when the runtime does not know
// it, and ErrNotObserved (wrapped) when the runtime cannot be reached.
func (h *HTTPRuntime) Status(ctx context.Context, deployment string) (*Live, error) {
	resp, err := h.do(ctx, http.MethodGet, deployment, nil)
	if err != nil {
		var ne net.Error
		var oe *net.OpError
		if errors.As(err, &oe) || errors.As(err, &ne) {
			return nil, fmt.Errorf("runtime %s: %w: %v", h.URL, ErrNotObserved, err)
		}
		return nil, fmt.Errorf("runtime %s: %w", h.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("runtime %s: GET deployment %s: %s", h.URL, deployment, statusText(resp))
	}
	var st struct {
		adminDeployment
		SampleRate float64 `json:"sampleRate"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("runtime %s: GET deployment %s: %w", h.URL, deployment, err)
	}
	live := &Live{Model: st.Model, SampleRate: st.SampleRate, Versions: []LiveVersion{}}
	for _, v := range st.Versions {
		if v.Weight <= 0 || v.State == "failed" {
			continue
		}
		live.Versions = append(live.Versions, LiveVersion{
			Version: v.Version, Artifact: v.Artifact, Weight: int(v.Weight + 0.5),
			Requests: v.Requests, Errors: v.Errors, LatencyP99Ms: v.LatencyP99Ms,
		})
	}
	sort.Slice(live.Versions, func(i, j int) bool { return live.Versions[i].Version < live.Versions[j].Version })
	return live, nil
}

// Deploy sets what deployment serves; no versions removes it.
func (h *HTTPRuntime) Deploy(ctx context.Context, d DeploymentState) error {
	if len(d.Versions) == 0 {
		resp, err := h.do(ctx, http.MethodDelete, d.Name, nil)
		if err != nil {
			return fmt.Errorf("runtime %s: remove deployment %s: %w", h.URL, d.Name, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusNotFound {
			return fmt.Errorf("runtime %s: remove deployment %s: %s", h.URL, d.Name, statusText(resp))
		}
		return nil
	}
	body := adminDeployment{Model: d.Model}
	sr := d.SampleRate
	body.SampleRate = &sr
	for _, v := range d.Versions {
		body.Versions = append(body.Versions, adminVersion{Version: v.Version, Artifact: v.Artifact, Weight: float64(v.Weight)})
	}
	resp, err := h.do(ctx, http.MethodPut, d.Name, body)
	if err != nil {
		return fmt.Errorf("runtime %s: deploy %s: %w", h.URL, d.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("runtime %s: deploy %s: %s", h.URL, d.Name, statusText(resp))
	}
	return nil
}

func statusText(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	msg := strings.TrimSpace(string(b))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	if msg == "" {
		return resp.Status
	}
	return resp.Status + ": " + msg
}
