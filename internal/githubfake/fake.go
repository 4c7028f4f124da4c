// Package githubfake is an in-memory GitHub REST API for tests, answering the
// calls ferry makes the way GitHub documents them: status codes, the 422 for a
// second pull request on one head, pagination Link headers, primary and
// secondary rate-limit headers, and 403 for check runs from a token that is not a
// GitHub App's. The GitHub API is the one part of ferry's world that cannot run
// here, so this is the one fake.
package githubfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PullRequest is a stored pull request.
type PullRequest struct {
	Number     int
	Head, Base string
	HeadSHA    string
	HeadRepo   string
	Title      string
	Body       string
	State      string
}

// Comment is a stored issue or pull request comment.
type Comment struct {
	ID     int64
	Issue  int
	Body   string
	Edited int
}

// Issue is a stored issue.
type Issue struct {
	Number int
	Title  string
	Body   string
	Labels []string
	State  string
}

// CheckRun is a stored check run or commit status.
type CheckRun struct {
	Name, SHA, Conclusion, Title, Summary string
	Status                                bool // a commit status, not a check run
}

// Server is the fake. Its fields may be read after requests finish; Lock guards
// them while requests are in flight.
type Server struct {
	*httptest.Server
	Owner, Repo string
	Token       string

	mu       sync.Mutex
	Pulls    []*PullRequest
	Comments []*Comment
	Issues   []*Issue
	Checks   []*CheckRun
	// Calls lists "METHOD /path" of every request, in order.
	Calls []string

	// PageSize is the most items a list answers per page (GitHub: per_page, ≤100).
	PageSize int
	// ChecksForbidden makes check-run creation answer 403 as for a non-App token.
	ChecksForbidden bool
	// ReadOnly makes every write answer 403, as for a fork's token.
	ReadOnly bool
	// RaceOnCreate makes the next pull request creation find that another
	// client opened one for the same head a moment earlier (GitHub answers 422).
	RaceOnCreate bool
	// SecondaryLimit answers the next n requests with 403 and retry-after.
	SecondaryLimit int
	// PrimaryLimit answers the next n requests with 403, remaining 0 and a reset.
	PrimaryLimit int
	// ServerErrors answers the next n requests with 502.
	ServerErrors int

	nextID int64
}

// New starts a fake for owner/repo that accepts token.
func New(owner, repo, token string) *Server {
	s := &Server{Owner: owner, Repo: repo, Token: token, PageSize: 30, nextID: 1000}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Lock and Unlock guard the stored state.
func (s *Server) Lock()   { s.mu.Lock() }
func (s *Server) Unlock() { s.mu.Unlock() }

var (
	rePulls       = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/pulls$`)
	rePull        = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/pulls/(\d+)$`)
	reIssueCmts   = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$`)
	reComment     = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$`)
	reIssues      = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues$`)
	reCheckRuns   = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/check-runs$`)
	reStatuses    = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/statuses/([0-9a-f]+)$`)
	errValidation = "Validation Failed"
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	s.Calls = append(s.Calls, r.Method+" "+path)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Ratelimit-Limit", "5000")
	w.Header().Set("X-Ratelimit-Remaining", "4999")
	w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	if s.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.Token {
		writeErr(w, http.StatusUnauthorized, "Bad credentials", nil)
		return
	}
	switch {
	case s.SecondaryLimit > 0:
		s.SecondaryLimit--
		w.Header().Set("Retry-After", "1")
		writeErr(w, http.StatusForbidden, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", nil)
		return
	case s.PrimaryLimit > 0:
		s.PrimaryLimit--
		w.Header().Set("X-Ratelimit-Remaining", "0")
		w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(time.Now().Add(2*time.Second).Unix(), 10))
		writeErr(w, http.StatusForbidden, "API rate limit exceeded for installation.", nil)
		return
	case s.ServerErrors > 0:
		s.ServerErrors--
		writeErr(w, http.StatusBadGateway, "Server Error", nil)
		return
	}
	if m := repoMatch(path); m != nil && (m[0] != s.Owner || m[1] != s.Repo) {
		writeErr(w, http.StatusNotFound, "Not Found", nil)
		return
	}
	if s.ReadOnly && r.Method != http.MethodGet {
		writeErr(w, http.StatusForbidden, "Resource not accessible by integration", nil)
		return
	}
	var m []string
	switch {
	case r.Method == http.MethodGet && match(rePulls, path, &m):
		s.listPulls(w, r)
	case r.Method == http.MethodPost && match(rePulls, path, &m):
		s.createPull(w, r)
	case r.Method == http.MethodGet && match(rePull, path, &m):
		if pr := s.pull(m[3]); pr != nil {
			writeJSON(w, http.StatusOK, s.pullJSON(pr))
		} else {
			writeErr(w, http.StatusNotFound, "Not Found", nil)
		}
	case r.Method == http.MethodPatch && match(rePull, path, &m):
		s.editPull(w, r, m[3])
	case r.Method == http.MethodGet && match(reIssueCmts, path, &m):
		s.listComments(w, r, m[3])
	case r.Method == http.MethodPost && match(reIssueCmts, path, &m):
		s.createComment(w, r, m[3])
	case r.Method == http.MethodPatch && match(reComment, path, &m):
		s.editComment(w, r, m[3])
	case r.Method == http.MethodGet && match(reIssues, path, &m):
		s.listIssues(w, r)
	case r.Method == http.MethodPost && match(reIssues, path, &m):
		s.createIssue(w, r)
	case r.Method == http.MethodPost && match(reCheckRuns, path, &m):
		s.createCheck(w, r)
	case r.Method == http.MethodPost && match(reStatuses, path, &m):
		s.createStatus(w, r, m[3])
	default:
		writeErr(w, http.StatusNotFound, "Not Found", nil)
	}
}

func repoMatch(path string) []string {
	parts := strings.Split(strings.TrimPrefix(path, "/repos/"), "/")
	if !strings.HasPrefix(path, "/repos/") || len(parts) < 2 {
		return nil
	}
	return parts[:2]
}

// match reports whether path matches re, leaving the groups in m: m[1] owner,
// m[2] repository, m[3] the number or sha.
func match(re *regexp.Regexp, path string, m *[]string) bool {
	*m = re.FindStringSubmatch(path)
	return *m != nil
}

func (s *Server) pull(num string) *PullRequest {
	n, _ := strconv.Atoi(num)
	for _, p := range s.Pulls {
		if p.Number == n {
			return p
		}
	}
	return nil
}

func (s *Server) pullJSON(p *PullRequest) map[string]any {
	headRepo := p.HeadRepo
	if headRepo == "" {
		headRepo = s.Owner + "/" + s.Repo
	}
	return map[string]any{
		"number": p.Number, "state": p.State, "title": p.Title, "body": p.Body,
		"html_url": fmt.Sprintf("https://github.com/%s/%s/pull/%d", s.Owner, s.Repo, p.Number),
		"head":     map[string]any{"ref": p.Head, "sha": p.HeadSHA, "repo": map[string]any{"full_name": headRepo}},
		"base":     map[string]any{"ref": p.Base, "repo": map[string]any{"full_name": s.Owner + "/" + s.Repo}},
	}
}

func (s *Server) listPulls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var out []any
	for _, p := range s.Pulls {
		if st := q.Get("state"); st != "" && st != "all" && p.State != st {
			continue
		}
		if h := q.Get("head"); h != "" && h != s.Owner+":"+p.Head {
			continue
		}
		if b := q.Get("base"); b != "" && b != p.Base {
			continue
		}
		out = append(out, s.pullJSON(p))
	}
	s.page(w, r, out)
}

func (s *Server) nextNumber() int {
	n := len(s.Pulls) + len(s.Issues) + 1
	return n
}

func (s *Server) createPull(w http.ResponseWriter, r *http.Request) {
	var in struct{ Title, Head, Base, Body string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "Problems parsing JSON", nil)
		return
	}
	if in.Title == "" || in.Head == "" || in.Base == "" {
		writeErr(w, http.StatusUnprocessableEntity, errValidation, []map[string]string{{"resource": "PullRequest", "code": "missing_field"}})
		return
	}
	if s.RaceOnCreate {
		s.RaceOnCreate = false
		s.Pulls = append(s.Pulls, &PullRequest{Number: s.nextNumber(), Head: in.Head, Base: in.Base, Title: "opened by a concurrent run", State: "open"})
	}
	for _, p := range s.Pulls {
		if p.State == "open" && p.Head == in.Head && p.Base == in.Base {
			writeErr(w, http.StatusUnprocessableEntity, errValidation, []map[string]string{{
				"resource": "PullRequest", "code": "custom",
				"message": fmt.Sprintf("A pull request already exists for %s:%s.", s.Owner, in.Head),
			}})
			return
		}
	}
	p := &PullRequest{Number: s.nextNumber(), Head: in.Head, Base: in.Base, Title: in.Title, Body: in.Body, State: "open"}
	s.Pulls = append(s.Pulls, p)
	writeJSON(w, http.StatusCreated, s.pullJSON(p))
}

func (s *Server) editPull(w http.ResponseWriter, r *http.Request, num string) {
	p := s.pull(num)
	if p == nil {
		writeErr(w, http.StatusNotFound, "Not Found", nil)
		return
	}
	var in struct{ Title, Body *string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "Problems parsing JSON", nil)
		return
	}
	if in.Title != nil {
		p.Title = *in.Title
	}
	if in.Body != nil {
		if len(*in.Body) > 65536 {
			writeErr(w, http.StatusUnprocessableEntity, errValidation, []map[string]string{{"resource": "PullRequest", "field": "body", "code": "custom", "message": "body is too long (maximum is 65536 characters)"}})
			return
		}
		p.Body = *in.Body
	}
	writeJSON(w, http.StatusOK, s.pullJSON(p))
}

func (s *Server) issueExists(num string) bool {
	n, _ := strconv.Atoi(num)
	for _, p := range s.Pulls {
		if p.Number == n {
			return true
		}
	}
	for _, i := range s.Issues {
		if i.Number == n {
			return true
		}
	}
	return false
}

func (s *Server) commentJSON(c *Comment) map[string]any {
	return map[string]any{
		"id": c.ID, "body": c.Body,
		"html_url": fmt.Sprintf("https://github.com/%s/%s/issues/%d#issuecomment-%d", s.Owner, s.Repo, c.Issue, c.ID),
	}
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, num string) {
	if !s.issueExists(num) {
		writeErr(w, http.StatusNotFound, "Not Found", nil)
		return
	}
	n, _ := strconv.Atoi(num)
	var out []any
	for _, c := range s.Comments {
		if c.Issue == n {
			out = append(out, s.commentJSON(c))
		}
	}
	s.page(w, r, out)
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request, num string) {
	if !s.issueExists(num) {
		writeErr(w, http.StatusNotFound, "Not Found", nil)
		return
	}
	var in struct{ Body string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Body == "" {
		writeErr(w, http.StatusUnprocessableEntity, errValidation, []map[string]string{{"resource": "IssueComment", "code": "missing_field", "field": "body"}})
		return
	}
	if len(in.Body) > 65536 {
		writeErr(w, http.StatusUnprocessableEntity, errValidation, []map[string]string{{"resource": "IssueComment", "code": "custom", "message": "Body is too long (maximum is 65536 characters)"}})
		return
	}
	n, _ := strconv.Atoi(num)
	s.nextID++
	c := &Comment{ID: s.nextID, Issue: n, Body: in.Body}
	s.Comments = append(s.Comments, c)
	writeJSON(w, http.StatusCreated, s.commentJSON(c))
}

func (s *Server) editComment(w http.ResponseWriter, r *http.Request, id string) {
	n, _ := strconv.ParseInt(id, 10, 64)
	for _, c := range s.Comments {
		if c.ID == n {
			var in struct{ Body string }
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				writeErr(w, http.StatusBadRequest, "Problems parsing JSON", nil)
				return
			}
			c.Body = in.Body
			c.Edited++
			writeJSON(w, http.StatusOK, s.commentJSON(c))
			return
		}
	}
	writeErr(w, http.StatusNotFound, "Not Found", nil)
}

func (s *Server) issueJSON(i *Issue) map[string]any {
	labels := []any{}
	for _, l := range i.Labels {
		labels = append(labels, map[string]any{"name": l})
	}
	return map[string]any{"number": i.Number, "title": i.Title, "body": i.Body, "state": i.State, "labels": labels,
		"html_url": fmt.Sprintf("https://github.com/%s/%s/issues/%d", s.Owner, s.Repo, i.Number)}
}

func (s *Server) listIssues(w http.ResponseWriter, r *http.Request) {
	// GitHub lists pull requests among issues; ferry must skip them.
	var out []any
	for _, p := range s.Pulls {
		if p.State == "open" {
			j := s.pullJSON(p)
			j["pull_request"] = map[string]any{"url": "x"}
			out = append(out, j)
		}
	}
	for _, i := range s.Issues {
		if st := r.URL.Query().Get("state"); st == "" || st == "all" || st == i.State {
			out = append(out, s.issueJSON(i))
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		return out[a].(map[string]any)["number"].(int) > out[b].(map[string]any)["number"].(int)
	})
	s.page(w, r, out)
}

func (s *Server) createIssue(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title, Body string
		Labels      []string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Title == "" {
		writeErr(w, http.StatusUnprocessableEntity, errValidation, []map[string]string{{"resource": "Issue", "code": "missing_field", "field": "title"}})
		return
	}
	i := &Issue{Number: s.nextNumber(), Title: in.Title, Body: in.Body, Labels: in.Labels, State: "open"}
	s.Issues = append(s.Issues, i)
	writeJSON(w, http.StatusCreated, s.issueJSON(i))
}

func (s *Server) createCheck(w http.ResponseWriter, r *http.Request) {
	if s.ChecksForbidden {
		writeErr(w, http.StatusForbidden, "Resource not accessible by integration", nil)
		return
	}
	var in struct {
		Name       string `json:"name"`
		Head       string `json:"head_sha"`
		Conclusion string `json:"conclusion"`
		Output     struct{ Title, Summary string }
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "Problems parsing JSON", nil)
		return
	}
	c := &CheckRun{Name: in.Name, SHA: in.Head, Conclusion: in.Conclusion, Title: in.Output.Title, Summary: in.Output.Summary}
	s.Checks = append(s.Checks, c)
	s.nextID++
	writeJSON(w, http.StatusCreated, map[string]any{"id": s.nextID, "name": c.Name, "head_sha": c.SHA, "status": "completed", "conclusion": c.Conclusion})
}

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request, sha string) {
	var in struct{ State, Context, Description string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "Problems parsing JSON", nil)
		return
	}
	switch in.State {
	case "success", "failure", "error", "pending":
	default:
		writeErr(w, http.StatusUnprocessableEntity, errValidation, []map[string]string{{"resource": "Status", "field": "state", "code": "custom"}})
		return
	}
	s.Checks = append(s.Checks, &CheckRun{Name: in.Context, SHA: sha, Conclusion: in.State, Title: in.Description, Status: true})
	writeJSON(w, http.StatusCreated, map[string]any{"state": in.State, "context": in.Context})
}

// page answers one page of items with a Link header, as GitHub paginates.
func (s *Server) page(w http.ResponseWriter, r *http.Request, items []any) {
	per := s.PageSize
	if p, err := strconv.Atoi(r.URL.Query().Get("per_page")); err == nil && p > 0 && p < per {
		per = p
	}
	page := 1
	if p, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && p > 0 {
		page = p
	}
	lo, hi := (page-1)*per, page*per
	if lo > len(items) {
		lo = len(items)
	}
	if hi > len(items) {
		hi = len(items)
	}
	if hi < len(items) {
		u := *r.URL
		u.Scheme, u.Host = "http", r.Host
		q := u.Query()
		q.Set("page", strconv.Itoa(page+1))
		u.RawQuery = q.Encode()
		last := u
		lq := last.Query()
		lq.Set("page", strconv.Itoa((len(items)+per-1)/per))
		last.RawQuery = lq.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next", <%s>; rel="last"`, u.String(), (&url.URL{Scheme: last.Scheme, Host: last.Host, Path: last.Path, RawQuery: last.RawQuery}).String()))
	}
	out := items[lo:hi]
	if out == nil {
		out = []any{}
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int, msg string, errs []map[string]string) {
	body := map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest"}
	if errs != nil {
		body["errors"] = errs
	}
	writeJSON(w, code, body)
}
