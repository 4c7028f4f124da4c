package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/ferryml/ferry/drift"
)

// JSON writes the report as indented JSON, the `ferry drift --json` shape.
func JSON(w io.Writer, r *drift.Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("marshal drift report: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Files renders the whole report as named files: report.json, report.md,
// statistic.svg and hist-<feature>.svg for each drifted feature that has
// bins. The Markdown links the images by these names.
func Files(r *drift.Report, opts MarkdownOptions) (map[string][]byte, error) {
	files := map[string][]byte{}
	images := map[string]string{}
	var buf bytes.Buffer
	if len(r.Features) > 0 {
		if err := StatisticSVG(&buf, r); err != nil {
			return nil, err
		}
		files["statistic.svg"] = bytes.Clone(buf.Bytes())
		images[StatisticPlot] = "statistic.svg"
	}
	for _, f := range r.Features {
		if !f.Drift || len(f.Bins) == 0 {
			continue
		}
		name := "hist-" + unsafeName.ReplaceAllString(f.Name, "_") + ".svg"
		for i := 2; files[name] != nil; i++ {
			name = fmt.Sprintf("hist-%s-%d.svg", unsafeName.ReplaceAllString(f.Name, "_"), i)
		}
		buf.Reset()
		if err := HistogramSVG(&buf, f); err != nil {
			return nil, err
		}
		files[name] = bytes.Clone(buf.Bytes())
		images[f.Name] = name
	}
	for k, v := range opts.Images {
		images[k] = v
	}
	opts.Images = images
	buf.Reset()
	if err := Markdown(&buf, r, opts); err != nil {
		return nil, err
	}
	files["report.md"] = bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := JSON(&buf, r); err != nil {
		return nil, err
	}
	files["report.json"] = bytes.Clone(buf.Bytes())
	return files, nil
}

// WriteDir writes Files into dir, creating it, and returns the file names.
func WriteDir(dir string, r *drift.Report, opts MarkdownOptions) ([]string, error) {
	files, err := Files(r, opts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write drift report: %w", err)
	}
	var names []string
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return nil, fmt.Errorf("write drift report: %w", err)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}
