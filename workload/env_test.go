package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckEnv(t *testing.T) {
	const secret = "hunter2-very-secret"
	tests := []struct {
		name    string
		prefix  string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "unset", wantErr: "environment variable DATABASE_URL is not set; cannot start"},
		{name: "empty", env: map[string]string{"DATABASE_URL": ""}, wantErr: "environment variable DATABASE_URL is not set (it is empty); cannot start"},
		{name: "set, no prefix check", env: map[string]string{"DATABASE_URL": secret}, want: "DATABASE_URL is set (19 bytes)"},
		{
			name:   "good URL shows endpoint only",
			prefix: "postgres://",
			env:    map[string]string{"DATABASE_URL": "postgres://app:" + secret + "@db.example:5432/app?sslmode=disable"},
			want:   "connected to postgres://db.example:5432",
		},
		{
			name:   "prefix matches but no host",
			prefix: "file:",
			env:    map[string]string{"DATABASE_URL": "file:" + secret},
			want:   "DATABASE_URL is set (24 bytes)",
		},
		{
			name:    "wrong scheme shows endpoint only",
			prefix:  "postgres://",
			env:     map[string]string{"DATABASE_URL": "mysql://root:" + secret + "@db:3306/app"},
			wantErr: "DATABASE_URL=mysql://db:3306/... does not look like a postgres://... URL; cannot start",
		},
		{
			name:    "bare password shows only its start",
			prefix:  "postgres://",
			env:     map[string]string{"DATABASE_URL": secret},
			wantErr: `DATABASE_URL="hunt"... (19 bytes) does not look like a postgres://... URL; cannot start`,
		},
		{
			name:    "short value is hidden entirely",
			prefix:  "postgres://",
			env:     map[string]string{"DATABASE_URL": "pw"},
			wantErr: "DATABASE_URL=<2 bytes, hidden> does not look like a postgres://... URL; cannot start",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			got, err := checkEnv("DATABASE_URL", tt.prefix, lookup)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.NotContains(t, got, secret)
		})
	}
}
