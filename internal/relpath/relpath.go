// Package relpath decides whether a slash-separated path that came with a
// pack (a tar entry of a pulled pack, a file of a room's packs) stays
// inside the folder it is written into.
package relpath

import (
	"path"
	"strings"
)

// Inside returns name cleaned, and whether it stays inside its folder: not
// absolute, no ".." above the folder, and no backslash or NUL (a separator
// or a terminator on some system, never part of a pack's file name).
func Inside(name string) (string, bool) {
	if strings.ContainsAny(name, "\\\x00") {
		return "", false
	}
	clean := path.Clean(name)
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", false
	}
	return clean, true
}
