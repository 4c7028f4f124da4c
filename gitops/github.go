package gitops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/google/go-github/v60/github"
)

// GitHubOptions configure a GitHub client. The CLI fills them from GITHUB_TOKEN,
// GITHUB_API_URL and the project's github.repository.
type GitHubOptions struct {
	// Repository is "owner/name".
	Repository string
	Token      string
	// APIURL is the REST API root: https://api.github.com (the default), or
	// https://HOST/api/v3 for GitHub Enterprise Server.
	APIURL string
	// Transport is the underlying HTTP transport (default http.DefaultTransport).
	Transport http.RoundTripper
	Logger    *slog.Logger
	// Retry bounds the retries of rate-limited and 5xx calls.
	Retry RetryPolicy
}

// GitHub is ferry's side of the GitHub API: the records pull request, the one
// plan comment per pull request, the gate's check run, and alert issues. Every
// method is idempotent, so a rerun edits what the last run made instead of
// adding another.
type GitHub struct {
	c           *github.Client
	owner, name string
	token       string
	log         *slog.Logger
	// mu serializes mutating calls, as GitHub asks of integrations to stay clear
	// of secondary rate limits.
	mu sync.Mutex
}

// NewGitHub returns a client for one repository.
func NewGitHub(o GitHubOptions) (*GitHub, error) {
	owner, name, ok := strings.Cut(o.Repository, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("github: repository %q is not owner/name", o.Repository)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	base := o.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	rt := &retryTransport{base: base, policy: o.Retry.withDefaults(), log: o.Logger}
	c := github.NewClient(&http.Client{Transport: rt})
	if o.Token != "" {
		c = c.WithAuthToken(o.Token)
	}
	if o.APIURL != "" && strings.TrimRight(o.APIURL, "/") != "https://api.github.com" {
		u, err := url.Parse(strings.TrimRight(o.APIURL, "/") + "/")
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("github: GITHUB_API_URL %q is not a URL", o.APIURL)
		}
		c.BaseURL = u
	}
	return &GitHub{c: c, owner: owner, name: name, token: o.Token, log: o.Logger}, nil
}

// Repository returns "owner/name".
func (g *GitHub) Repository() string { return g.owner + "/" + g.name }

// wrap names the call that failed and makes sure the token never appears in the
// message, whatever a server or transport put into it.
func (g *GitHub) wrap(call string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if g.token != "" && strings.Contains(msg, g.token) {
		return fmt.Errorf("github: %s: %s", call, strings.ReplaceAll(msg, g.token, "***"))
	}
	return fmt.Errorf("github: %s: %w", call, err)
}

// PullRequest is a pull request ferry opened or updated.
type PullRequest struct {
	Number  int    `json:"number"`
	URL     string `json:"url"`
	Created bool   `json:"created"`
}

// PullRequestSpec is what the records pull request should look like.
type PullRequestSpec struct {
	Head, Base  string
	Title, Body string
}

// EnsurePullRequest opens the pull request for Head into Base, or updates the
// open one's title and body. It looks for an open pull request for the head
// first; a 422 "already exists" (another run won the race) is answered by
// fetching and updating that one, never by a second pull request.
func (g *GitHub) EnsurePullRequest(ctx context.Context, s PullRequestSpec) (*PullRequest, error) {
	s.Body = Truncate(s.Body, MaxBody)
	g.mu.Lock()
	defer g.mu.Unlock()
	pr, err := g.findPull(ctx, s.Head, s.Base)
	if err != nil {
		return nil, err
	}
	if pr == nil {
		created, _, err := g.c.PullRequests.Create(ctx, g.owner, g.name, &github.NewPullRequest{
			Title: github.String(s.Title), Head: github.String(s.Head), Base: github.String(s.Base), Body: github.String(s.Body),
		})
		if err == nil {
			g.log.Info("opened pull request", "number", created.GetNumber(), "head", s.Head)
			return &PullRequest{Number: created.GetNumber(), URL: created.GetHTMLURL(), Created: true}, nil
		}
		if !alreadyExists(err) {
			return nil, g.wrap(fmt.Sprintf("create pull request %s → %s", s.Head, s.Base), err)
		}
		if pr, err = g.findPull(ctx, s.Head, s.Base); err != nil {
			return nil, err
		}
		if pr == nil {
			return nil, fmt.Errorf("github: create pull request %s → %s: GitHub says one exists, but none is open for that head", s.Head, s.Base)
		}
	}
	if pr.GetTitle() != s.Title || pr.GetBody() != s.Body {
		if _, _, err := g.c.PullRequests.Edit(ctx, g.owner, g.name, pr.GetNumber(), &github.PullRequest{
			Title: github.String(s.Title), Body: github.String(s.Body),
		}); err != nil {
			return nil, g.wrap(fmt.Sprintf("update pull request #%d", pr.GetNumber()), err)
		}
		g.log.Info("updated pull request", "number", pr.GetNumber())
	}
	return &PullRequest{Number: pr.GetNumber(), URL: pr.GetHTMLURL()}, nil
}

func (g *GitHub) findPull(ctx context.Context, head, base string) (*github.PullRequest, error) {
	opts := &github.PullRequestListOptions{
		State: "open", Head: g.owner + ":" + head, Base: base,
		ListOptions: github.ListOptions{PerPage: 100},
	}
	for {
		prs, resp, err := g.c.PullRequests.List(ctx, g.owner, g.name, opts)
		if err != nil {
			return nil, g.wrap(fmt.Sprintf("list pull requests for %s", head), err)
		}
		for _, pr := range prs {
			// The head filter is a hint some servers ignore: check it.
			if pr.GetHead().GetRef() == head {
				return pr, nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// alreadyExists recognizes GitHub's 422 for a second pull request on one head.
func alreadyExists(err error) bool {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	if strings.Contains(strings.ToLower(er.Message), "already exists") {
		return true
	}
	for _, e := range er.Errors {
		if strings.Contains(strings.ToLower(e.Message), "already exists") {
			return true
		}
	}
	return false
}

// Marker returns the hidden HTML comment by which ferry finds its own comment or
// issue again.
func Marker(kind string) string { return "<!-- ferry:" + kind + " -->" }

// UpsertComment creates ferry's comment on pull request (or issue) number, or edits
// the one that carries marker. It returns the comment's URL and whether it was
// created.
func (g *GitHub) UpsertComment(ctx context.Context, number int, marker, body string) (string, bool, error) {
	if !strings.Contains(body, marker) {
		body = marker + "\n" + body
	}
	body = Truncate(body, MaxBody)
	g.mu.Lock()
	defer g.mu.Unlock()
	existing, err := g.findComment(ctx, number, marker)
	if err != nil {
		return "", false, err
	}
	if existing != nil {
		if existing.GetBody() == body {
			return existing.GetHTMLURL(), false, nil
		}
		c, _, err := g.c.Issues.EditComment(ctx, g.owner, g.name, existing.GetID(), &github.IssueComment{Body: github.String(body)})
		if err != nil {
			return "", false, g.wrap(fmt.Sprintf("edit comment %d on #%d", existing.GetID(), number), err)
		}
		return c.GetHTMLURL(), false, nil
	}
	c, _, err := g.c.Issues.CreateComment(ctx, g.owner, g.name, number, &github.IssueComment{Body: github.String(body)})
	if err != nil {
		return "", false, g.wrap(fmt.Sprintf("comment on #%d", number), err)
	}
	return c.GetHTMLURL(), true, nil
}

func (g *GitHub) findComment(ctx context.Context, number int, marker string) (*github.IssueComment, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		cs, resp, err := g.c.Issues.ListComments(ctx, g.owner, g.name, number, opts)
		if err != nil {
			return nil, g.wrap(fmt.Sprintf("list comments of #%d", number), err)
		}
		for _, c := range cs {
			if strings.Contains(c.GetBody(), marker) {
				return c, nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// Check is a verdict on a commit: the gate's, as a check run that branch
// protection can require.
type Check struct {
	SHA  string
	Name string
	// Conclusion is success, failure or neutral.
	Conclusion string
	Title      string
	Summary    string
	// DetailsURL links the check to where the full report is.
	DetailsURL string
}

// SetCheck reports a check run on a commit. Where check runs are not allowed
// (a token that is not a GitHub App's answers 403), it sets a commit status with
// the same context name instead. It returns "check-run" or "status".
func (g *GitHub) SetCheck(ctx context.Context, c Check) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, _, err := g.c.Checks.CreateCheckRun(ctx, g.owner, g.name, github.CreateCheckRunOptions{
		Name: c.Name, HeadSHA: c.SHA, Status: github.String("completed"), Conclusion: github.String(c.Conclusion),
		DetailsURL: optional(c.DetailsURL),
		Output:     &github.CheckRunOutput{Title: github.String(c.Title), Summary: github.String(Truncate(c.Summary, MaxBody))},
	})
	if err == nil {
		return "check-run", nil
	}
	if status(err) != http.StatusForbidden && status(err) != http.StatusNotFound {
		return "", g.wrap(fmt.Sprintf("create check run %q on %s", c.Name, short(c.SHA)), err)
	}
	g.log.Info("check runs not allowed; setting a commit status", "sha", short(c.SHA))
	state := map[string]string{"success": "success", "failure": "failure", "neutral": "success"}[c.Conclusion]
	if state == "" {
		state = "error"
	}
	desc := c.Title
	if len(desc) > 140 { // GitHub's limit for a status description
		desc = desc[:137] + "..."
	}
	_, _, err = g.c.Repositories.CreateStatus(ctx, g.owner, g.name, c.SHA, &github.RepoStatus{
		State: github.String(state), Context: github.String(c.Name), Description: github.String(desc), TargetURL: optional(c.DetailsURL),
	})
	if err != nil {
		return "", g.wrap(fmt.Sprintf("set commit status %q on %s", c.Name, short(c.SHA)), err)
	}
	return "status", nil
}

// Alert is something a person must look at, raised as an issue.
type Alert struct {
	// Key deduplicates: one open issue per key.
	Key    string
	Title  string
	Body   string
	Labels []string
}

// RaiseAlert opens an issue for the alert, or comments on the open issue that
// already carries its key, so a drift that persists is one issue, not one per
// run. It returns the issue number and whether it was created.
func (g *GitHub) RaiseAlert(ctx context.Context, a Alert) (int, bool, error) {
	marker := Marker("alert " + a.Key)
	g.mu.Lock()
	existing, err := g.findIssue(ctx, marker)
	g.mu.Unlock()
	if err != nil {
		return 0, false, err
	}
	if existing != nil {
		if _, _, err := g.UpsertComment(ctx, existing.GetNumber(), Marker("alert-update "+a.Key), a.Body); err != nil {
			return 0, false, err
		}
		return existing.GetNumber(), false, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	req := &github.IssueRequest{Title: github.String(a.Title), Body: github.String(Truncate(marker+"\n"+a.Body, MaxBody))}
	if len(a.Labels) > 0 {
		req.Labels = &a.Labels
	}
	is, _, err := g.c.Issues.Create(ctx, g.owner, g.name, req)
	if err != nil {
		return 0, false, g.wrap(fmt.Sprintf("open issue %q", a.Title), err)
	}
	return is.GetNumber(), true, nil
}

func (g *GitHub) findIssue(ctx context.Context, marker string) (*github.Issue, error) {
	opts := &github.IssueListByRepoOptions{State: "open", ListOptions: github.ListOptions{PerPage: 100}}
	for {
		is, resp, err := g.c.Issues.ListByRepo(ctx, g.owner, g.name, opts)
		if err != nil {
			return nil, g.wrap("list open issues", err)
		}
		for _, i := range is {
			if !i.IsPullRequest() && strings.Contains(i.GetBody(), marker) {
				return i, nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// PullRequestInfo is what ferry needs to know of a pull request it comments on.
type PullRequestInfo struct {
	Number   int
	HeadSHA  string
	HeadRepo string
	BaseRepo string
}

// Fork reports whether the pull request comes from another repository.
func (p PullRequestInfo) Fork() bool { return p.HeadRepo != "" && p.HeadRepo != p.BaseRepo }

// PullRequest reads a pull request's head commit and repositories.
func (g *GitHub) PullRequest(ctx context.Context, number int) (*PullRequestInfo, error) {
	pr, _, err := g.c.PullRequests.Get(ctx, g.owner, g.name, number)
	if err != nil {
		return nil, g.wrap(fmt.Sprintf("get pull request #%d", number), err)
	}
	return &PullRequestInfo{
		Number: number, HeadSHA: pr.GetHead().GetSHA(),
		HeadRepo: pr.GetHead().GetRepo().GetFullName(), BaseRepo: pr.GetBase().GetRepo().GetFullName(),
	}, nil
}

// IsReadOnly reports whether err is GitHub refusing a write to this token (a
// fork's read-only token in a pull_request workflow).
func IsReadOnly(err error) bool {
	s := status(err)
	return s == http.StatusForbidden || s == http.StatusNotFound && errors.As(err, new(*github.ErrorResponse))
}

func status(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// MaxBody is GitHub's limit on a pull request, issue or comment body.
const MaxBody = 65536

// Truncate keeps s within max bytes (GitHub counts characters; bytes are the
// safe bound), cutting at a line and saying so.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const note = "\n\n… (cut to fit GitHub's size limit; the full report is in the records)\n"
	const closer = "\n</details>"
	cut := s[:max-len(note)-len(closer)]
	if i := strings.LastIndexByte(cut, '\n'); i > 0 {
		cut = cut[:i]
	}
	// An unclosed <details> would swallow the note.
	if strings.Count(cut, "<details>") > strings.Count(cut, "</details>") {
		cut += closer
	}
	return cut + note
}
