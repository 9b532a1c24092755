package tui

import (
	"bytes"
	"io"
)

// BEL is the terminal bell.
const BEL = '\a'

// NoBell wraps w so that no BEL byte (\a) reaches it. promptui's Select
// rings the bell on every arrow key (readline's history has nothing to move
// to; manifoldco/promptui#49); every prompt of the CLI writes through this.
// BEL never occurs inside a multi-byte UTF-8 sequence, so dropping the byte
// cannot break text. Close does not close w: promptui's Stdout is a
// WriteCloser, but the stream is the CLI's.
func NoBell(w io.Writer) io.WriteCloser { return noBell{w} }

type noBell struct{ w io.Writer }

func (n noBell) Write(p []byte) (int, error) {
	if bytes.IndexByte(p, BEL) < 0 {
		return n.w.Write(p)
	}
	clean := bytes.ReplaceAll(p, []byte{BEL}, nil)
	if _, err := n.w.Write(clean); err != nil {
		return 0, err
	}
	// The caller wrote all of p as far as it is concerned.
	return len(p), nil
}

func (noBell) Close() error { return nil }
