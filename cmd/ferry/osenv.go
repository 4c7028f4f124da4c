package main

import "os"

// osGetenv is the one place the CLI reads the process environment.
var osGetenv = os.Getenv
