//go:build !unix

package drift_test

import "time"

func cpuTime() time.Duration { return 0 }
