package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/drift"
	"github.com/ferryml/ferry/drift/render"
)

func init() { register(newDriftCmd) }

type driftFlags struct {
	reference, current, test, reportDir string
	features                            []string
	threshold                           float64
	bins                                int
	asJSON                              bool
}

func newDriftCmd(e *env) *cobra.Command {
	var fl driftFlags
	cmd := &cobra.Command{
		Use:   "drift --reference R --current C",
		Short: "Compare the distribution of two data files, feature by feature",
		Long: `Drift compares a current data file against a reference file (CSV, Parquet or
JSONL) column by column and says which features drifted.

Every feature gets every statistic — numbers: PSI and Jensen–Shannon over ten
quantile bins of the reference, the two-sample Kolmogorov–Smirnov test and the
Wasserstein distance; categories: PSI, Jensen–Shannon and a chi-squared test,
with the categories the reference never saw listed by name — and one test
decides drift:

  psi          PSI above the threshold (default 0.2)
  js           Jensen–Shannon divergence (bits, 0..1) above the threshold (default 0.1)
  wasserstein  distance above the threshold, in the feature's units
               (default: a tenth of the reference's standard deviation)
  ks, chi2     p-value below the threshold (default 0.01); ks applies to numbers
               and chi2 to categories, each standing in for the other

Columns that look like identifiers (a distinct string or integer in every row)
or timestamps are left out unless --features names them; the output says so.
Nulls and NaN are counted and left out of the statistics; a feature with no
values on one side gets no statistic and a note instead.

--report DIR writes report.json, report.md (a table sorted by severity, for a
pull request), statistic.svg (the test's statistic per feature against the
threshold) and hist-<feature>.svg (reference vs current) for each drifted
feature.

Exit codes: 0 no feature drifted, 1 error, 2 at least one feature drifted.`,
		Example: `  ferry drift --reference train.parquet --current last-week.csv
  ferry drift --reference jan.csv --current jun.csv --features delay,distance --test ks
  ferry drift --reference ref.jsonl --current cur.jsonl --json | jq '.features[] | select(.drift)'
  ferry drift --reference ref.csv --current cur.csv --report drift-report`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("threshold") && fl.threshold <= 0 {
				return fmt.Errorf("--threshold must be positive, got %g", fl.threshold)
			}
			return runDrift(e, fl)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.reference, "reference", "", "reference data file: .csv, .parquet or .jsonl (required)")
	f.StringVar(&fl.current, "current", "", "current data file (required)")
	f.StringSliceVar(&fl.features, "features", nil, "columns to compare, comma-separated (default: all but identifiers and timestamps)")
	f.Lookup("features").DefValue = "" // the usage says what the default is
	f.StringVar(&fl.test, "test", "psi", "test that decides drift: psi, ks, js, wasserstein or chi2")
	f.Float64Var(&fl.threshold, "threshold", 0, "the test's threshold; a p-value for ks and chi2 (default: psi 0.2, js 0.1, ks/chi2 0.01)")
	f.IntVar(&fl.bins, "bins", drift.DefaultBins, "quantile bins of the reference for PSI and Jensen–Shannon")
	f.StringVar(&fl.reportDir, "report", "", "write report.json, report.md and SVG plots into this folder")
	f.BoolVar(&fl.asJSON, "json", false, "print the report as JSON on stdout")
	cmd.MarkFlagRequired("reference")
	cmd.MarkFlagRequired("current")
	return cmd
}

func runDrift(e *env, fl driftFlags) error {
	cfg := drift.Config{
		Default: drift.Test{Name: fl.test, Threshold: fl.threshold},
		Profile: drift.ProfileOptions{Bins: fl.bins},
	}
	if fl.bins < 2 {
		return fmt.Errorf("--bins must be at least 2, got %d", fl.bins)
	}
	// Check the test before reading what may be large files.
	if err := cfg.Validate(); err != nil {
		return err
	}
	ref, cur, err := readPair(fl.reference, fl.current, fl.features)
	if err != nil {
		return err
	}
	features, notes, err := drift.SelectFeatures(ref, fl.features)
	if err != nil {
		return fmt.Errorf("%s: %w", fl.reference, err)
	}
	if len(features) == 0 {
		return fmt.Errorf("%s: no column to compare (%s)", fl.reference, strings.Join(notes, "; "))
	}
	cfg.Features = features
	r, err := drift.CompareFrames(ref, cur, cfg)
	if err != nil {
		return err
	}
	r.Notes = append(notes, r.Notes...)

	if fl.reportDir != "" {
		names, err := render.WriteDir(fl.reportDir, r, render.MarkdownOptions{})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "wrote %s: %s\n", fl.reportDir, strings.Join(names, ", "))
	}
	if fl.asJSON {
		err = render.JSON(e.stdout, r)
	} else {
		err = writeDriftText(e.stdout, r)
	}
	if err != nil {
		return err
	}
	if r.Drifted > 0 {
		return errAction
	}
	return nil
}

// readPair reads both files at once; each is most of the command's time.
func readPair(refPath, curPath string, columns []string) (ref, cur *dataset.Frame, err error) {
	var wg sync.WaitGroup
	var refErr, curErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		ref, refErr = dataset.ReadFile(refPath, dataset.ReadOptions{Columns: columns})
	}()
	go func() {
		defer wg.Done()
		cur, curErr = dataset.ReadFile(curPath, dataset.ReadOptions{Columns: columns})
	}()
	wg.Wait()
	if refErr != nil {
		return nil, nil, refErr
	}
	return ref, cur, curErr
}

// writeDriftText prints the report for a terminal: a summary, the features by
// severity, and the notes.
func writeDriftText(w io.Writer, r *drift.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "reference %d rows, current %d rows: %d of %d features drifted\n\n",
		r.Reference.Rows, r.Current.Rows, r.Drifted, len(r.Features))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEATURE\tTYPE\tTEST\tVALUE\tTHRESHOLD\tDRIFT\tPSI\tJS\tP-VALUE\tWASSERSTEIN")
	rows := render.BySeverity(r.Features)
	if r.Prediction != nil {
		p := *r.Prediction
		p.Name = "(prediction) " + p.Name
		rows = append(rows, &p)
	}
	for _, f := range rows {
		drifted := "no"
		if f.Drift {
			drifted = "yes"
		}
		p, wd := "-", "-"
		if f.KS != nil {
			p = short(float64(f.KS.PValue))
		}
		if f.Chi2 != nil {
			p = short(float64(f.Chi2.PValue))
		}
		if f.Wasserstein != nil {
			wd = short(float64(*f.Wasserstein))
		}
		th := short(f.Threshold)
		if f.Test == "ks" || f.Test == "chi2" {
			th = "p<" + th
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, f.Type, f.Test, short(f.Statistic()), th, drifted,
			short(float64(f.PSI)), short(float64(f.JS)), p, wd)
	}
	tw.Flush()
	var notes []string
	notes = append(notes, r.Notes...)
	for _, f := range rows {
		for _, n := range f.Notes {
			notes = append(notes, f.Name+": "+n)
		}
		if len(f.Unseen) > 0 {
			notes = append(notes, f.Name+": unseen categories: "+strings.Join(f.Unseen, ", "))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\nnotes:\n")
		for _, n := range notes {
			b.WriteString("  " + n + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func short(v float64) string {
	if v != v {
		return "-"
	}
	return strings.TrimSuffix(fmt.Sprintf("%.4g", v), ".0000")
}
