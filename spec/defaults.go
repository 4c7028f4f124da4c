package spec

import (
	"net/url"
	"path"
	"strings"
)

// Defaults that Load fills in. They live here, and only here.
const (
	DefaultArtifacts   = "file://.ferry/artifacts"
	DefaultPredictions = "sqlite://.ferry/predictions.db"
	DefaultRecords     = "records"
	DefaultRemote      = "origin"
	DefaultBase        = "main"
	DefaultRuntimeURL  = "http://127.0.0.1:8080"
	DefaultTokenEnv    = "FERRY_ADMIN_TOKEN"
	DefaultDriftTest   = TestPSI
	DefaultPSI         = 0.2
)

// applyDefaults fills in every default of a decoded Set. Checks run after it, so a
// default is checked like a written value.
func applyDefaults(s *Set) {
	if p := s.Project; p != nil {
		ps := &p.Spec
		setString(&ps.Artifacts, DefaultArtifacts)
		setString(&ps.Predictions, DefaultPredictions)
		setString(&ps.Records, DefaultRecords)
		setString(&ps.Git.Remote, DefaultRemote)
		setString(&ps.Git.Base, DefaultBase)
		if ps.Git.Commit == "" {
			ps.Git.Commit = CommitPullRequest
		}
		if ps.Runtime.Kind == "" {
			ps.Runtime.Kind = RuntimeLocal
		}
		if ps.Runtime.Kind == RuntimeLocal {
			setString(&ps.Runtime.URL, DefaultRuntimeURL)
		}
		setString(&ps.Runtime.TokenEnv, DefaultTokenEnv)
	}
	for _, d := range s.Datasets {
		if d.Spec.Format == "" {
			d.Spec.Format = FormatOf(d.Spec.Source)
		}
	}
	models := make(map[string]*Model, len(s.Models))
	for _, m := range s.Models {
		models[m.Metadata.Name] = m
	}
	for _, e := range s.Experiments {
		if e.Spec.Dataset == "" {
			if m := models[e.Spec.Model]; m != nil {
				e.Spec.Dataset = m.Spec.Dataset
			}
		}
	}
	runtime := RuntimeLocal
	if s.Project != nil {
		runtime = s.Project.Spec.Runtime.Kind
	}
	for _, d := range s.Deployments {
		if d.Spec.Runtime == "" {
			d.Spec.Runtime = runtime
		}
		if d.Spec.Strategy.Type == "" {
			d.Spec.Strategy.Type = StrategyDirect
		}
		if d.Spec.Version.IsZero() {
			d.Spec.Version = VersionRef{Latest: true}
		}
	}
	for _, m := range s.Monitors {
		def := &m.Spec.Features.Default
		if def.Test == "" {
			def.Test = DefaultDriftTest
		}
		if def.Test == TestPSI && def.Threshold == nil && def.PValue == nil {
			v := DefaultPSI
			def.Threshold = &v
		}
	}
}

func setString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

// FormatOf guesses a dataset's format from the extension of its path or URL, and
// returns "" when the extension says nothing.
func FormatOf(source string) Format {
	p := source
	if IsURL(source) {
		if u, err := url.Parse(source); err == nil {
			p = u.Path
		}
	}
	p = strings.ToLower(p)
	switch path.Ext(p) {
	case ".csv":
		return FormatCSV
	case ".parquet", ".pq":
		return FormatParquet
	case ".jsonl", ".ndjson":
		return FormatJSONL
	}
	return ""
}

// IsURL reports whether s is a URL with a scheme ("s3://bucket/x") rather than a
// repository path.
func IsURL(s string) bool {
	i := strings.Index(s, "://")
	if i <= 0 {
		return false
	}
	for _, r := range s[:i] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}
