package gitops

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/githubfake"
)

const testToken = "ghs_s3cr3tT0kenValue"

// newTestGitHub returns a client of the fake whose waits are recorded, not slept.
func newTestGitHub(t *testing.T, fake *githubfake.Server) (*GitHub, *[]time.Duration, *bytes.Buffer) {
	t.Helper()
	var waits []time.Duration
	var logs bytes.Buffer
	g, err := NewGitHub(GitHubOptions{
		Repository: "acme/flights", Token: testToken, APIURL: fake.URL,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Retry: RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			return nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return g, &waits, &logs
}

func TestEnsurePullRequestIsIdempotent(t *testing.T) {
	fake := githubfake.New("acme", "flights", testToken)
	defer fake.Close()
	g, _, _ := newTestGitHub(t, fake)
	ctx := context.Background()

	first, err := g.EnsurePullRequest(ctx, PullRequestSpec{Head: "ferry/main", Base: "main", Title: "ferry: register delay v1", Body: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || first.Number == 0 {
		t.Fatalf("first call: %+v, want a created pull request", first)
	}
	second, err := g.EnsurePullRequest(ctx, PullRequestSpec{Head: "ferry/main", Base: "main", Title: "ferry: register delay v2", Body: "two"})
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.Number != first.Number {
		t.Fatalf("second call: %+v, want the same pull request #%d updated", second, first.Number)
	}
	if len(fake.Pulls) != 1 || fake.Pulls[0].Title != "ferry: register delay v2" || fake.Pulls[0].Body != "two" {
		t.Fatalf("pulls = %+v, want one, updated", fake.Pulls)
	}
}

func TestEnsurePullRequestRaceAnswersTheDuplicateError(t *testing.T) {
	fake := githubfake.New("acme", "flights", testToken)
	defer fake.Close()
	fake.RaceOnCreate = true
	g, _, _ := newTestGitHub(t, fake)
	pr, err := g.EnsurePullRequest(context.Background(), PullRequestSpec{Head: "ferry/main", Base: "main", Title: "t", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fake.Pulls) != 1 {
		t.Fatalf("%d pull requests, want 1 (the 422 must be answered by updating the existing one)", len(fake.Pulls))
	}
	if pr.Created || pr.Number != fake.Pulls[0].Number || fake.Pulls[0].Body != "b" {
		t.Fatalf("pr = %+v, stored %+v", pr, fake.Pulls[0])
	}
}

func TestUpsertCommentEditsInPlaceAcrossPages(t *testing.T) {
	fake := githubfake.New("acme", "flights", testToken)
	defer fake.Close()
	fake.PageSize = 2
	fake.Pulls = append(fake.Pulls, &githubfake.PullRequest{Number: 1, Head: "feature", Base: "main", State: "open"})
	for i := 0; i < 5; i++ { // other people's comments push ferry's onto page 3
		fake.Comments = append(fake.Comments, &githubfake.Comment{ID: int64(i + 1), Issue: 1, Body: "lgtm"})
	}
	g, _, _ := newTestGitHub(t, fake)
	ctx := context.Background()
	marker := Marker("plan")
	if _, created, err := g.UpsertComment(ctx, 1, marker, "plan: 2 changes"); err != nil || !created {
		t.Fatalf("first upsert: created=%v err=%v", created, err)
	}
	for i := 0; i < 3; i++ {
		fake.Comments = append(fake.Comments, &githubfake.Comment{ID: int64(100 + i), Issue: 1, Body: "another"})
	}
	if _, created, err := g.UpsertComment(ctx, 1, marker, "plan: 3 changes"); err != nil || created {
		t.Fatalf("second upsert: created=%v err=%v, want an edit", created, err)
	}
	var ours []*githubfake.Comment
	for _, c := range fake.Comments {
		if strings.Contains(c.Body, marker) {
			ours = append(ours, c)
		}
	}
	if len(ours) != 1 || !strings.Contains(ours[0].Body, "3 changes") || ours[0].Edited != 1 {
		t.Fatalf("ferry comments = %+v, want one, edited once", ours)
	}
}

func TestSetCheckFallsBackToStatus(t *testing.T) {
	for _, forbidden := range []bool{false, true} {
		fake := githubfake.New("acme", "flights", testToken)
		fake.ChecksForbidden = forbidden
		g, _, _ := newTestGitHub(t, fake)
		kind, err := g.SetCheck(context.Background(), Check{SHA: "0123456789abcdef0123", Name: "ferry/gate", Conclusion: "failure", Title: "gate denied delay", Summary: "…"})
		fake.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{false: "check-run", true: "status"}[forbidden]
		if kind != want || len(fake.Checks) != 1 || fake.Checks[0].Conclusion != "failure" || fake.Checks[0].Status != forbidden {
			t.Fatalf("forbidden=%v: kind %q, checks %+v", forbidden, kind, fake.Checks)
		}
	}
}

func TestRaiseAlertDeduplicates(t *testing.T) {
	fake := githubfake.New("acme", "flights", testToken)
	defer fake.Close()
	g, _, _ := newTestGitHub(t, fake)
	ctx := context.Background()
	a := Alert{Key: "drift delay-drift", Title: "Drift in delay-prod", Body: "origin PSI 0.31", Labels: []string{"ferry"}}
	n1, created, err := g.RaiseAlert(ctx, a)
	if err != nil || !created {
		t.Fatalf("first alert: %v %v", created, err)
	}
	a.Body = "origin PSI 0.35"
	n2, created, err := g.RaiseAlert(ctx, a)
	if err != nil || created || n2 != n1 {
		t.Fatalf("second alert: #%d created=%v err=%v, want #%d again", n2, created, err, n1)
	}
	if len(fake.Issues) != 1 {
		t.Fatalf("%d issues, want 1", len(fake.Issues))
	}
}

func TestRateLimitsAndServerErrorsAreRetried(t *testing.T) {
	fake := githubfake.New("acme", "flights", testToken)
	defer fake.Close()
	fake.Pulls = append(fake.Pulls, &githubfake.PullRequest{Number: 1, Head: "feature", Base: "main", State: "open"})
	fake.SecondaryLimit = 1
	fake.PrimaryLimit = 1
	fake.ServerErrors = 2
	g, waits, logs := newTestGitHub(t, fake)
	if _, _, err := g.UpsertComment(context.Background(), 1, Marker("plan"), "x"); err != nil {
		t.Fatal(err)
	}
	if len(*waits) != 4 {
		t.Fatalf("waits = %v, want 4 (retry-after, reset, two backoffs)", *waits)
	}
	if (*waits)[0] != time.Second {
		t.Errorf("secondary limit wait = %v, want retry-after's 1s", (*waits)[0])
	}
	if (*waits)[2] != time.Second || (*waits)[3] != 2*time.Second {
		t.Errorf("5xx backoff = %v, %v; want 1s then 2s", (*waits)[2], (*waits)[3])
	}
	if strings.Contains(logs.String(), testToken) {
		t.Error("the token appears in the logs")
	}
}

func TestFailuresNameTheCallAndHideTheToken(t *testing.T) {
	fake := githubfake.New("acme", "flights", testToken)
	defer fake.Close()
	fake.ServerErrors = 100
	g, _, _ := newTestGitHub(t, fake)
	_, err := g.EnsurePullRequest(context.Background(), PullRequestSpec{Head: "ferry/main", Base: "main", Title: "t", Body: "b"})
	if err == nil {
		t.Fatal("want an error after the retries run out")
	}
	if !strings.Contains(err.Error(), "list pull requests for ferry/main") || !strings.Contains(err.Error(), "502") {
		t.Errorf("error %q does not say which call failed and how", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Error("the token appears in the error")
	}

	bad, err := NewGitHub(GitHubOptions{Repository: "acme/flights", Token: "wrong", APIURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	fake.ServerErrors = 0
	_, _, err = bad.UpsertComment(context.Background(), 1, Marker("plan"), "x")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("bad token: err = %v, want a 401", err)
	}
}

func TestReadOnlyTokenIsRecognized(t *testing.T) {
	fake := githubfake.New("acme", "flights", testToken)
	defer fake.Close()
	fake.ReadOnly = true
	fake.Pulls = append(fake.Pulls, &githubfake.PullRequest{Number: 1, Head: "feature", Base: "main", State: "open"})
	g, _, _ := newTestGitHub(t, fake)
	_, _, err := g.UpsertComment(context.Background(), 1, Marker("plan"), "x")
	if err == nil || !IsReadOnly(err) {
		t.Fatalf("err = %v, want one IsReadOnly recognizes", err)
	}
}

func TestTruncateStaysUnderTheLimit(t *testing.T) {
	long := "<details>\n" + strings.Repeat("| a | b |\n", 20000)
	out := Truncate(long, MaxBody)
	if len(out) > MaxBody {
		t.Fatalf("len %d > %d", len(out), MaxBody)
	}
	if strings.Count(out, "<details>") != strings.Count(out, "</details>") {
		t.Error("an unclosed <details> after truncation")
	}
	if !strings.Contains(out, "cut to fit") {
		t.Error("truncation is not said")
	}
	if Truncate("short", MaxBody) != "short" {
		t.Error("a short body changed")
	}
}

func TestNewGitHubRejectsBadRepository(t *testing.T) {
	for _, r := range []string{"", "acme", "acme/", "/x", "a/b/c"} {
		if _, err := NewGitHub(GitHubOptions{Repository: r}); err == nil {
			t.Errorf("repository %q accepted", r)
		}
	}
}
