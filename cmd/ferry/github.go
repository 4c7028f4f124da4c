package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/ferryml/ferry/gitops"
	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/render"
)

// gateCheckName is the check run branch protection can require.
const gateCheckName = "ferry/gate"

// githubFor returns the project's GitHub client, or nil with the reason when the
// project names no repository or there is no token.
func githubFor(e *env, p *ferryProject) (*gitops.GitHub, string, error) {
	repo := p.set.Project.Spec.GitHub.Repository
	if repo == "" {
		repo = e.getenv("GITHUB_REPOSITORY")
	}
	if repo == "" {
		return nil, "no github.repository in ferry.yaml (and no GITHUB_REPOSITORY)", nil
	}
	token := e.getenv("GITHUB_TOKEN")
	if token == "" {
		return nil, "no GITHUB_TOKEN", nil
	}
	gh, err := gitops.NewGitHub(gitops.GitHubOptions{
		Repository: repo, Token: token, APIURL: e.getenv("GITHUB_API_URL"),
		Logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	return gh, "", err
}

// postPlan puts the plan comment on pull request number and the gate verdict
// on its head commit. A fork's pull request or a read-only token cannot write:
// the report goes to the job summary ($GITHUB_STEP_SUMMARY) instead, and ferry
// says so.
func postPlan(ctx context.Context, e *env, p *ferryProject, number int, plan *reconcile.Plan) error {
	var body bytes.Buffer
	if err := render.Comment(&body, plan, plan.Candidates); err != nil {
		return err
	}
	gh, why, err := githubFor(e, p)
	if err != nil {
		return err
	}
	if gh == nil {
		return summaryInstead(e, body.String(), why)
	}
	pr, err := gh.PullRequest(ctx, number)
	if err != nil {
		return err
	}
	if pr.Fork() {
		return summaryInstead(e, body.String(), fmt.Sprintf("pull request #%d comes from the fork %s, whose token is read-only", number, pr.HeadRepo))
	}
	url, created, err := gh.UpsertComment(ctx, number, gitops.Marker("plan"), body.String())
	if gitops.IsReadOnly(err) {
		return summaryInstead(e, body.String(), "the token cannot comment (read-only)")
	}
	if err != nil {
		return err
	}
	verb := map[bool]string{true: "posted", false: "updated"}[created]
	fmt.Fprintf(e.stderr, "%s the plan comment on #%d: %s\n", verb, number, url)

	conclusion, title := "neutral", "no candidates to gate"
	switch plan.Gate {
	case "allow":
		conclusion, title = "success", "every candidate passed the gate"
	case "deny":
		conclusion, title = "failure", deniedTitle(plan)
	}
	kind, err := gh.SetCheck(ctx, gitops.Check{SHA: pr.HeadSHA, Name: gateCheckName, Conclusion: conclusion, Title: title, Summary: body.String()})
	if gitops.IsReadOnly(err) {
		fmt.Fprintf(e.stderr, "ferry: warning: the token cannot set the %s check on %s\n", gateCheckName, pr.HeadSHA)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "set %s %s on %.12s: %s\n", gateCheckName, strings.ReplaceAll(kind, "-", " "), pr.HeadSHA, conclusion)
	return nil
}

func deniedTitle(plan *reconcile.Plan) string {
	var denied []string
	for _, c := range plan.Candidates {
		if c.Verdict() != "allow" {
			denied = append(denied, fmt.Sprintf("%s run %s", c.Model, c.Run))
		}
	}
	return "gate denied " + strings.Join(denied, ", ")
}

// summaryInstead writes a report to the job summary when commenting is not
// possible, and says why.
func summaryInstead(e *env, body, why string) error {
	path := e.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		fmt.Fprintf(e.stderr, "ferry: not commenting: %s; no GITHUB_STEP_SUMMARY either, so the report goes to stdout\n", why)
		_, err := fmt.Fprintln(e.stdout, body)
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("write job summary: %w", err)
	}
	defer f.Close()
	if _, err := fmt.Fprintln(f, body); err != nil {
		return fmt.Errorf("write job summary: %w", err)
	}
	fmt.Fprintf(e.stderr, "ferry: not commenting: %s; wrote the report to the job summary instead\n", why)
	return nil
}

// openRecordsPR opens or updates the records pull request after an apply in
// commit: pull-request mode pushed the branch.
func openRecordsPR(ctx context.Context, e *env, p *ferryProject, res *reconcile.ApplyResult, plan *reconcile.Plan) error {
	if p.publish.Branch == p.publish.Base || p.publish.Remote == "" || len(res.Commits) == 0 {
		return nil
	}
	gh, why, err := githubFor(e, p)
	if err != nil {
		return err
	}
	if gh == nil {
		fmt.Fprintf(e.stderr, "pushed %s; not opening a pull request: %s\n", p.publish.Branch, why)
		return nil
	}
	var parts []string
	if n := len(res.Registered); n > 0 {
		parts = append(parts, "register "+strings.Join(res.Registered, ", "))
	}
	if n := len(res.Deployed); n > 0 {
		parts = append(parts, "roll out "+strings.Join(res.Deployed, ", "))
	}
	if n := len(res.Denied); n > 0 {
		parts = append(parts, fmt.Sprintf("%d gate denial(s)", n))
	}
	title := "ferry: records"
	if len(parts) > 0 {
		title = "ferry: " + strings.Join(parts, "; ")
	}
	if len(title) > 200 {
		title = title[:197] + "..."
	}
	var body strings.Builder
	body.WriteString("ferry applied a plan; this pull request carries its records. Merging it makes them the registry's and deployments' state of record.\n\n")
	for _, l := range [][2]any{{"Registered", res.Registered}, {"Gate denied", res.Denied}, {"Serving", res.Deployed}, {"Skipped", res.Skipped}} {
		items := l[1].([]string)
		if len(items) == 0 {
			continue
		}
		fmt.Fprintf(&body, "**%s**\n\n", l[0])
		for _, it := range items {
			fmt.Fprintf(&body, "- %s\n", it)
		}
		body.WriteString("\n")
	}
	body.WriteString("<details><summary>The plan</summary>\n\n")
	if err := render.Markdown(&body, plan); err != nil {
		return err
	}
	body.WriteString("\n</details>\n")
	pr, err := gh.EnsurePullRequest(ctx, gitops.PullRequestSpec{Head: p.publish.Branch, Base: p.publish.Base, Title: title, Body: body.String()})
	if err != nil {
		return err
	}
	verb := map[bool]string{true: "opened", false: "updated"}[pr.Created]
	fmt.Fprintf(e.stderr, "%s pull request #%d: %s\n", verb, pr.Number, pr.URL)
	return nil
}
