package shellwords

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplit(t *testing.T) {
	got := Split("echo one; false && echo 'two words' # comment\n/workload --log=\"a b\"")
	assert.Equal(t, []Command{
		{Words: []string{"echo", "one"}},
		{Words: []string{"false"}},
		{Words: []string{"echo", "two words"}, AndThen: true},
		{Words: []string{"/workload", "--log=a b"}},
	}, got)
	assert.Empty(t, Split("  # only a comment\n;;"))
}

func TestPrograms(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want [][]string
	}{
		{"direct", []string{"/workload", "--listen=:8080"}, [][]string{{"/workload", "--listen=:8080"}}},
		{"behind tini", []string{"/sbin/tini", "--", "/workload", "-x"}, [][]string{{"/workload", "-x"}}},
		{"in a script, exec or not", []string{"/bin/sh", "-c", "echo hi; exec /workload -a && /workload -b"}, [][]string{{"/workload", "-a"}, {"/workload", "-b"}}},
		{"tini, then a script", []string{"tini", "sh", "-c", "/workload"}, [][]string{{"/workload"}}},
		{"a script file is not read", []string{"/bin/sh", "/app/server"}, nil},
		{"another program", []string{"/bin/sleep", "3600"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Programs(tt.argv, "workload"))
		})
	}
}
