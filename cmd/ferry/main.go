// Command ferry is a GitOps reconciler for machine-learning models.
package main

import "os"

func main() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
