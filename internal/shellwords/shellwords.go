// Package shellwords is the one reading of the lab image's small shell
// (/bin/sh, workload/shell.go): how a script splits into commands and words,
// and which programs a container's command line ends up running (directly,
// behind /sbin/tini, or in a `sh -c` script). The shell runs it, and the
// checks of the incidents that use the shell read command lines with it, so
// both always agree.
package shellwords

import (
	"path"
	"strings"
)

// Command is one simple command of a script.
type Command struct {
	Words []string
	// AndThen: run only when the previous command succeeded (&&).
	AndThen bool
}

// Split cuts a script into simple commands: they end at a newline, ";" or
// "&&"; words split on blanks, with single and double quotes; "#" starts a
// comment outside a word. Empty commands are dropped.
func Split(script string) []Command {
	var out []Command
	var words []string
	var word strings.Builder
	inWord, quote, andThen := false, rune(0), false
	flushWord := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	flushCmd := func(nextAndThen bool) {
		flushWord()
		if len(words) > 0 {
			out = append(out, Command{Words: words, AndThen: andThen})
		}
		words, andThen = nil, nextAndThen
	}
	rs := []rune(script)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				word.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '#' && !inWord:
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
			flushCmd(false)
		case r == '\n' || r == ';':
			flushCmd(false)
		case r == '&' && i+1 < len(rs) && rs[i+1] == '&':
			i++
			flushCmd(true)
		case r == ' ' || r == '\t':
			flushWord()
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	flushCmd(false)
	return out
}

// maxDepth bounds nested wrappers (tini running sh running tini ...).
const maxDepth = 4

// Programs returns the argument vectors of every run of program (a base
// name, "workload" for the lab's app) that argv leads to: argv itself, the
// program behind /sbin/tini, or the commands of a `sh -c` script (an
// `exec` in front is the same program).
func Programs(argv []string, program string) [][]string {
	return programs(argv, program, 0)
}

func programs(argv []string, program string, depth int) [][]string {
	if len(argv) == 0 || depth > maxDepth {
		return nil
	}
	switch path.Base(argv[0]) {
	case program:
		return [][]string{argv}
	case "tini":
		rest := argv[1:]
		if len(rest) > 0 && rest[0] == "--" {
			rest = rest[1:]
		}
		return programs(rest, program, depth+1)
	case "sh":
		if len(argv) < 3 || argv[1] != "-c" {
			return nil
		}
		var out [][]string
		for _, c := range Split(argv[2]) {
			words := c.Words
			if words[0] == "exec" {
				words = words[1:]
			}
			out = append(out, programs(words, program, depth+1)...)
		}
		return out
	}
	return nil
}
