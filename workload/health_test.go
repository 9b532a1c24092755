package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHandler(t *testing.T) {
	tests := []struct {
		name     string
		state    healthStatus
		method   string
		path     string
		wantCode int
		wantBody string
	}{
		{"healthz while starting", stateStarting, http.MethodGet, "/healthz", http.StatusServiceUnavailable, "starting\n"},
		{"healthz when ready", stateReady, http.MethodGet, "/healthz", http.StatusOK, "ok\n"},
		{"healthz when hung", stateHung, http.MethodGet, "/healthz", http.StatusInternalServerError, "hung\n"},
		{"root while starting", stateStarting, http.MethodGet, "/", http.StatusOK, "crashlab workload\n"},
		{"root when hung", stateHung, http.MethodGet, "/", http.StatusOK, "crashlab workload\n"},
		{"unknown path", stateReady, http.MethodGet, "/nope", http.StatusNotFound, ""},
		{"post healthz", stateReady, http.MethodPost, "/healthz", http.StatusMethodNotAllowed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &healthState{}
			h.set(tt.state)
			rec := httptest.NewRecorder()
			newHandler(h).ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			assert.Equal(t, tt.wantCode, rec.Code)
			if tt.wantBody != "" {
				assert.Equal(t, tt.wantBody, rec.Body.String())
			}
		})
	}
}
