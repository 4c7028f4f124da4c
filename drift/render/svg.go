package render

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/ferryml/ferry/drift"
)

var (
	referenceColor = color.RGBA{R: 0x9e, G: 0x9e, B: 0x9e, A: 0xff}
	currentColor   = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	driftColor     = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	lineColor      = color.RGBA{R: 0x33, G: 0x33, B: 0x33, A: 0xff}
)

// HistogramSVG draws the reference's and the current data's share per bin
// of one feature side by side.
func HistogramSVG(w io.Writer, f *drift.FeatureResult) error {
	p, width, height, err := histogramPlot(f)
	if err != nil {
		return err
	}
	return save(w, p, width, height)
}

func histogramPlot(f *drift.FeatureResult) (*plot.Plot, vg.Length, vg.Length, error) {
	if len(f.Bins) == 0 {
		return nil, 0, 0, fmt.Errorf("plot %s: no bins (no values on one side)", f.Name)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: reference vs current (%s %s)", f.Name, f.Test, num(f.Statistic()))
	p.Y.Label.Text = "share of rows"
	ref := make(plotter.Values, len(f.Bins))
	cur := make(plotter.Values, len(f.Bins))
	labels := make([]string, len(f.Bins))
	for i, b := range f.Bins {
		ref[i], cur[i], labels[i] = finite(float64(b.Reference)), finite(float64(b.Current)), b.Label
	}
	width := vg.Points(math.Max(4, math.Min(18, 360/float64(len(f.Bins)))))
	rb, err := plotter.NewBarChart(ref, width)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("plot %s: %w", f.Name, err)
	}
	rb.Color, rb.LineStyle.Width, rb.Offset = referenceColor, 0, -width/2
	cb, err := plotter.NewBarChart(cur, width)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("plot %s: %w", f.Name, err)
	}
	cb.Color, cb.LineStyle.Width, cb.Offset = currentColor, 0, width/2
	p.Add(rb, cb)
	p.Legend.Add("reference", rb)
	p.Legend.Add("current", cb)
	p.Legend.Top = true
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.6, float64(len(labels))-0.4
	p.Y.Min, p.Y.Max = 0, math.Max(maxOf(ref), maxOf(cur))*1.25
	if len(labels) > 6 {
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	return p, vg.Points(math.Max(480, 40*float64(len(labels)))), 320, nil
}

// StatisticSVG draws one bar per feature with the threshold as a line. When
// every feature has the same test and threshold the bars are that test's
// statistic (−log10 of the p-value for KS and chi-squared); otherwise they
// are the severity, whose line is 1.
func StatisticSVG(w io.Writer, r *drift.Report) error {
	p, width, height, err := statisticPlot(r)
	if err != nil {
		return err
	}
	return save(w, p, width, height)
}

func statisticPlot(r *drift.Report) (*plot.Plot, vg.Length, vg.Length, error) {
	fs := r.Features
	if len(fs) == 0 {
		return nil, 0, 0, fmt.Errorf("plot statistic: no features")
	}
	same := true
	for _, f := range fs {
		same = same && f.Test == fs[0].Test && f.Threshold == fs[0].Threshold
	}
	vals := make(plotter.Values, len(fs))
	labels := make([]string, len(fs))
	line := 1.0
	ylabel := "severity (statistic / threshold)"
	for i, f := range fs {
		labels[i] = f.Name
		vals[i] = finite(float64(f.Severity))
	}
	if same {
		t := fs[0].Test
		ylabel, line = t, fs[0].Threshold
		for i, f := range fs {
			vals[i] = finite(f.Statistic())
		}
		if t == "ks" || t == "chi2" {
			ylabel = fmt.Sprintf("−log10 p-value (%s)", t)
			line = -math.Log10(fs[0].Threshold)
			for i, f := range fs {
				vals[i] = math.Min(-math.Log10(math.Max(f.Statistic(), 1e-300)), 300)
				if math.IsNaN(f.Statistic()) {
					vals[i] = 0
				}
			}
		}
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Drift per feature: %d of %d drifted", r.Drifted, len(fs))
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	width := vg.Points(math.Max(6, math.Min(28, 400/float64(len(fs)))))
	var ok, bad plotter.Values
	for i, f := range fs {
		if f.Drift {
			ok, bad = append(ok, 0), append(bad, vals[i])
		} else {
			ok, bad = append(ok, vals[i]), append(bad, 0)
		}
	}
	okb, err := plotter.NewBarChart(ok, width)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("plot statistic: %w", err)
	}
	okb.Color, okb.LineStyle.Width = currentColor, 0
	badb, err := plotter.NewBarChart(bad, width)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("plot statistic: %w", err)
	}
	badb.Color, badb.LineStyle.Width = driftColor, 0
	th := plotter.NewFunction(func(float64) float64 { return line })
	th.Color, th.Width, th.Dashes = lineColor, vg.Points(1), []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(okb, badb, th)
	p.Legend.Add("no drift", okb)
	p.Legend.Add("drift", badb)
	p.Legend.Add("threshold", th)
	p.Legend.Top = true
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.5, float64(len(fs))-0.5
	p.Y.Max = math.Max(maxOf(vals), line) * 1.25
	if len(labels) > 6 {
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	return p, vg.Points(math.Max(480, 40*float64(len(fs)))), 320, nil
}

func save(w io.Writer, p *plot.Plot, width, height vg.Length) error {
	c := vgsvg.NewWith(vgsvg.UseWH(width, height))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return fmt.Errorf("write svg: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func maxOf(v plotter.Values) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}
