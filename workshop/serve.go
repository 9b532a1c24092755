package workshop

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

//go:embed web/board.html
var boardPage []byte

// Handler serves the board: the page at /, the board as JSON at
// /board.json, and every new board as a server-sent event at /events, pushed
// the moment the watch cache changes (no polling anywhere).
func Handler(w *Watcher) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = rw.Write(boardPage)
	})
	mux.HandleFunc("GET /board.json", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(w.Board())
	})
	mux.HandleFunc("GET /events", func(rw http.ResponseWriter, r *http.Request) {
		fl, ok := rw.(http.Flusher)
		if !ok {
			http.Error(rw, "streaming unsupported", http.StatusInternalServerError)
			return
		}
		rw.Header().Set("Content-Type", "text/event-stream")
		rw.Header().Set("Cache-Control", "no-cache")
		ch, cancel := w.Subscribe()
		defer cancel()
		keepalive := time.NewTicker(15 * time.Second)
		defer keepalive.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-keepalive.C:
				fmt.Fprint(rw, ": keep-alive\n\n")
				fl.Flush()
			case b, ok := <-ch:
				if !ok {
					return
				}
				data, err := json.Marshal(b)
				if err != nil {
					return
				}
				fmt.Fprintf(rw, "event: board\ndata: %s\n\n", data)
				fl.Flush()
			}
		}
	})
	return mux
}

// Serve serves the board on addr until ctx ends; ready gets the address it
// listens on (useful with port 0).
func Serve(ctx context.Context, w *Watcher, addr string, ready func(string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (pass --addr HOST:PORT with a free port)", addr, err)
	}
	srv := &http.Server{Handler: Handler(w), ReadHeaderTimeout: 10 * time.Second}
	ready(ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_ = srv.Shutdown(shut)
		_ = srv.Close()
		return ctx.Err()
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}
