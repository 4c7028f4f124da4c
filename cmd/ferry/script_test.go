package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The CLI scripts in testdata/script run the ferry binary in-process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ferry": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") != "",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			// onnxruntime and git identity pass through from the test's environment.
			for _, k := range []string{"ONNXRUNTIME_SHARED_LIBRARY_PATH", "HOME", "FERRY_DATA"} {
				env.Setenv(k, os.Getenv(k))
			}
			env.Setenv("GIT_AUTHOR_NAME", "ferry test")
			env.Setenv("GIT_AUTHOR_EMAIL", "test@ferry.invalid")
			env.Setenv("GIT_COMMITTER_NAME", "ferry test")
			env.Setenv("GIT_COMMITTER_EMAIL", "test@ferry.invalid")
			return nil
		},
	})
}
