package dataset_test

import (
	"fmt"
	"os"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/spec"
)

func Example() {
	ds := spec.DatasetSpec{
		Target: "delay",
		Time:   "date",
		Features: []spec.Feature{
			{Name: "distance", Type: spec.TypeNumber, Min: ptr(0.0), Max: ptr(2000.0)},
			{Name: "origin", Type: spec.TypeCategory},
		},
		Split: spec.Split{Column: "date", Train: &spec.Range{Before: "2001-05-01"},
			Eval: spec.SplitPart{Range: &spec.Range{From: "2001-05-01"}}},
	}
	f, err := dataset.ReadFile("testdata/flights-1k.csv", dataset.ReadOptions{Features: ds.Features})
	if err != nil {
		fmt.Println(err)
		return
	}
	dataset.Check(f, &ds).WriteText(os.Stdout)

	train, eval, err := dataset.Split(f, ds.Split)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("train %d rows, eval %d rows from %s\n", train.Rows, eval.Rows, eval.Col("date").Value(0))
	// Output:
	// 1000 rows, 4 columns checked: 1 problem
	//   range  distance  42 values out of [0, 2000]: row 1 (2176), row 38 (3904), row 96 (2504), row 105 (2306), row 114 (2475), …
	// train 660 rows, eval 340 rows from 2001-05-01T06:40:00Z
}
