// Command export writes flights-3m.parquet as CSV for the Python peer
// benchmark (Debian's python3 has no parquet reader):
//
//	go run ./drift/testdata/bench/export "$FERRY_DATA/flights-3m.parquet" /tmp/flights-3m.csv
//
// The date column is written as RFC 3339 text, as dataset.WriteCSV writes
// timestamp columns.
package main

import (
	"fmt"
	"os"

	"github.com/ferryml/ferry/dataset"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: export FLIGHTS.parquet OUT.csv")
		os.Exit(2)
	}
	f, err := dataset.ReadFile(os.Args[1], dataset.ReadOptions{})
	if err == nil {
		err = dataset.WriteFile(os.Args[2], f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "export:", err)
		os.Exit(1)
	}
}
