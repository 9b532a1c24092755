package main

import (
	"fmt"
	"net/http"
	"sync/atomic"
)

type healthStatus int32

const (
	stateStarting healthStatus = iota
	stateReady
	stateHung
)

// healthState is shared between the startup sequence and the HTTP handlers.
type healthState struct{ v atomic.Int32 }

func (h *healthState) set(s healthStatus) { h.v.Store(int32(s)) }
func (h *healthState) get() healthStatus  { return healthStatus(h.v.Load()) }

func newHandler(h *healthState) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		switch h.get() {
		case stateStarting:
			http.Error(w, "starting", http.StatusServiceUnavailable)
		case stateHung:
			http.Error(w, "hung", http.StatusInternalServerError)
		default:
			fmt.Fprintln(w, "ok")
		}
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "crashlab workload")
	})
	return mux
}
