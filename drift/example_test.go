package drift_test

import (
	"fmt"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/drift"
)

func numbers(name string, vals ...float64) *dataset.Frame {
	return &dataset.Frame{Rows: len(vals), Columns: []*dataset.Column{{Name: name, Type: dataset.Number, Floats: vals}}}
}

// A profile is built once from the reference (at registration) and stored;
// monitoring compares each window against it.
func ExampleCompare() {
	ref := numbers("delay", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20)
	cur := numbers("delay", 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30)

	p, err := drift.BuildProfile(ref, drift.ProfileOptions{Bins: 4})
	if err != nil {
		panic(err)
	}
	stored, _ := p.Marshal() // deterministic bytes, stored content-addressed
	p, _ = drift.UnmarshalProfile(stored)

	r, err := drift.Compare(p, cur, drift.Config{Default: drift.Test{Name: "ks"}})
	if err != nil {
		panic(err)
	}
	f := r.Features[0]
	fmt.Printf("%s: psi %.3f, ks %.2f (p %.4f), wasserstein %.1f; drift by %s: %v\n",
		f.Name, f.PSI, f.KS.Statistic, f.KS.PValue, *f.Wasserstein, f.Test, f.Drift)
	// Output:
	// delay: psi 4.460, ks 0.50 (p 0.0078), wasserstein 10.0; drift by ks: true
}
