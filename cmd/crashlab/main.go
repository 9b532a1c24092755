// Command crashlab is a hands-on lab for diagnosing and fixing CrashLoopBackOff.
package main

import "github.com/crashlab/crashlab/cmd/crashlab/app"

func main() { app.Main() }
