package spec

import (
	"encoding/json"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "90s", want: 90 * time.Second},
		{in: "30m", want: 30 * time.Minute},
		{in: "168h", want: 168 * time.Hour},
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "0s", want: 0},
		{in: "", wantErr: true},
		{in: "7", wantErr: true},
		{in: "7days", wantErr: true},
		{in: "d", wantErr: true},
		{in: "-1h", wantErr: true},
		{in: "1d-1h", wantErr: true},
		{in: "99999999d", wantErr: true},
		{in: "1.5d", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDuration(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got.D() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got.D(), tt.want)
		}
	}
}

func TestDurationString(t *testing.T) {
	for in, want := range map[string]string{"7d": "7d", "168h": "7d", "90m": "1h30m0s", "36h": "36h0m0s"} {
		d, err := ParseDuration(in)
		if err != nil {
			t.Fatal(err)
		}
		if d.String() != want {
			t.Errorf("%s: String() = %q, want %q", in, d.String(), want)
		}
	}
}

// The custom scalars also work with plain yaml.v3 and encoding/json, for code that
// reads spec fragments (gate parameters, records) without Load.
func TestScalarsRoundTrip(t *testing.T) {
	type doc struct {
		Version  VersionRef `yaml:"version" json:"version"`
		Interval Duration   `yaml:"interval" json:"interval"`
		Eval     SplitPart  `yaml:"eval" json:"eval"`
		Train    SplitPart  `yaml:"train" json:"train"`
	}
	in := "version: 3\ninterval: 7d\neval: 0.25\ntrain: {from: \"2001-01-01\", before: \"2001-03-01\"}\n"
	var d doc
	if err := yaml.Unmarshal([]byte(in), &d); err != nil {
		t.Fatal(err)
	}
	if d.Version.Number != 3 || d.Interval.D() != 168*time.Hour || d.Eval.Fraction != 0.25 || d.Train.Range == nil || d.Train.Range.Before != "2001-03-01" {
		t.Fatalf("yaml decoded %+v", d)
	}
	out, err := yaml.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back doc
	if err := yaml.Unmarshal(out, &back); err != nil || back.Version != d.Version || back.Interval != d.Interval || back.Eval.Fraction != d.Eval.Fraction || *back.Train.Range != *d.Train.Range {
		t.Fatalf("yaml round trip: %s → %+v, %v", out, back, err)
	}
	js, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"version":3,"interval":"7d","eval":0.25,"train":{"from":"2001-01-01","before":"2001-03-01"}}`; string(js) != want {
		t.Fatalf("json = %s, want %s", js, want)
	}
	var jback doc
	if err := json.Unmarshal(js, &jback); err != nil || jback.Version != d.Version || jback.Interval != d.Interval || *jback.Train.Range != *d.Train.Range {
		t.Fatalf("json round trip: %+v, %v", jback, err)
	}
	if err := yaml.Unmarshal([]byte("version: latest"), &d); err != nil || !d.Version.Latest {
		t.Fatalf("latest: %+v %v", d.Version, err)
	}
	for _, bad := range []string{"version: 0", "version: newest", "interval: 5", "eval: [1]"} {
		if err := yaml.Unmarshal([]byte(bad), &doc{}); err == nil {
			t.Errorf("yaml.Unmarshal(%q) = nil error", bad)
		}
	}
}
