package serve

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/store"
)

// labelFlights has a null hour in row 2 (skipped: the model needs it) and a
// null label in row 4 (sent, with an empty label). Distances are distinct so
// a logged prediction names the row it came from.
const labelFlights = `distance,origin,hour,delay
1797,LAX,6,12
1609,SJC,8,-3
1117,IAH,,40
2449,SFO,9,7
937,LAX,10,
1022,IAH,11,0
1500,SJC,12,95.5
`

func TestReplayLabels(t *testing.T) {
	frame, err := dataset.ReadCSV(strings.NewReader(labelFlights), dataset.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		batch, limit int
		want         string
	}{
		{batch: 1, want: `request_id,row,delay
replay-0,0,12
replay-1,0,-3
replay-2,0,7
replay-3,0,
replay-4,0,0
replay-5,0,95.5
`},
		{batch: 3, want: `request_id,row,delay
replay-0,0,12
replay-0,1,-3
replay-0,2,7
replay-1,0,
replay-1,1,0
replay-1,2,95.5
`},
		// --limit counts sent rows, not rows read
		{batch: 3, limit: 4, want: `request_id,row,delay
replay-0,0,12
replay-0,1,-3
replay-0,2,7
replay-1,0,
`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("batch%d-limit%d", tt.batch, tt.limit), func(t *testing.T) {
			db, err := store.Open(context.Background(), "sqlite://p.db", t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ts := startServer(t, Options{Predictions: db})
			ts.deploy(t, "flights", DeploymentSpec{Model: "delay", Versions: []VersionSpec{one(1, "percolumn.onnx", 1)}})
			var labels bytes.Buffer
			rep, err := Replay(context.Background(), ReplayOptions{URL: ts.url, Deployment: "flights", Frame: frame,
				Batch: tt.batch, Limit: tt.limit, Concurrency: 2, LabelColumn: "delay", Labels: &labels})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Errors != 0 || rep.Skipped != 1 {
				t.Fatalf("report %+v", rep)
			}
			if labels.String() != tt.want {
				t.Fatalf("labels:\n%s\nwant:\n%s", labels.String(), tt.want)
			}
			if err := ts.stop(); err != nil { // flushes the prediction log
				t.Fatal(err)
			}
			checkLabelsJoin(t, db, frame, labels.Bytes())
		})
	}
}

// checkLabelsJoin joins the labels to the prediction log by (request_id, row)
// the way a Monitor does, and checks every label meets the prediction of the
// frame row it came from.
func checkLabelsJoin(t *testing.T, db *store.DB, frame *dataset.Frame, labels []byte) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(labels)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	distanceOf := map[string]float64{} // label → the distance of its row
	dist, delay := frame.Col("distance"), frame.Col("delay")
	for r := range frame.Rows {
		distanceOf[delay.Value(r)] = dist.Floats[r]
	}
	logged := map[[2]string]float64{}
	err = db.Scan(context.Background(), store.Filter{Deployment: "flights"}, func(p *store.Prediction) error {
		var in struct{ Distance float64 }
		if err := json.Unmarshal(p.Inputs, &in); err != nil {
			return err
		}
		logged[[2]string{p.RequestID, fmt.Sprint(p.Row)}] = in.Distance
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != len(recs)-1 {
		t.Errorf("logged %d predictions, labels for %d rows", len(logged), len(recs)-1)
	}
	for _, rec := range recs[1:] {
		got, ok := logged[[2]string{rec[0], rec[1]}]
		if !ok {
			t.Errorf("label %v joins no logged prediction", rec)
			continue
		}
		if want := distanceOf[rec[2]]; got != want {
			t.Errorf("label %v joins the prediction for distance %g, its row has distance %g", rec, got, want)
		}
	}
}

func TestReplayLabelsMissingColumn(t *testing.T) {
	frame, err := dataset.ReadCSV(strings.NewReader(labelFlights), dataset.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), "sqlite://p.db", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ts := startServer(t, Options{Predictions: db})
	ts.deploy(t, "flights", DeploymentSpec{Model: "delay", Versions: []VersionSpec{one(1, "percolumn.onnx", 1)}})
	var labels bytes.Buffer
	rep, err := Replay(context.Background(), ReplayOptions{URL: ts.url, Deployment: "flights", Frame: frame,
		LabelColumn: "arr_delay", Labels: &labels})
	if err == nil || rep != nil {
		t.Fatalf("got report %+v, error %v; want an error", rep, err)
	}
	if want := `no label column "arr_delay" (the data has distance, origin, hour, delay)`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	if labels.Len() != 0 {
		t.Errorf("wrote labels %q", labels.String())
	}
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Count(context.Background(), store.Filter{Deployment: "flights"}); n != 0 {
		t.Errorf("sent %d rows before the error", n)
	}
}
