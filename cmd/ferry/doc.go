// Command ferry is a GitOps reconciler for machine-learning models: the CLI
// over ferry's packages. It holds flags, wiring and rendering only; every
// command lives in its own file and registers itself with register, returns
// an error instead of exiting, and reads the process only through env (streams
// and getenv), so the testscripts in testdata/script run it in-process.
//
// Exit codes are part of the interface: 0 success or nothing to do, 1 an
// error, 2 something to act on (changes planned, a gate denied, drift found).
package main
