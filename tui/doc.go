// Package tui holds the few terminal helpers the CLI needs: a stream filter
// that drops the bell promptui rings, a key reader that hands keys to one
// prompt at a time (with a deadline), a one-line status with a spinner, and a
// block that redraws in place. Everything degrades to plain appended lines
// when the output is not a terminal: no escape codes then.
package tui
