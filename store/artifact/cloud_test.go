package artifact

import (
	"context"
	"testing"
)

// s3:// and gs:// buckets open through linked drivers (opening does not touch
// the network); a scheme with no driver is refused.
func TestCloudSchemesHaveDrivers(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, u := range []string{"s3://ferry-artifacts?region=us-east-1", "gs://ferry-artifacts"} {
		s, err := Open(context.Background(), u, t.TempDir())
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		s.Close()
	}
	if _, err := Open(context.Background(), "ftp://ferry-artifacts", t.TempDir()); err == nil {
		t.Error("ftp:// opened; want an error naming the unsupported scheme")
	}
}
