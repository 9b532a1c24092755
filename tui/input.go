package tui

import (
	"context"
	"errors"
	"io"
	"sync"
	"unicode/utf8"
)

// Input reads a stream (the terminal) in one goroutine and hands it out one
// key at a time (a rune, or a whole escape sequence such as an arrow key) to
// whichever prompt reads next, through Reader.
//
// Prompts built on readline (promptui) cannot be stopped while they wait
// for a key, and a reader that went on reading after its prompt ended would
// swallow the first key meant for the next one. A Reader stops at its
// context's end (a question's time is up, Ctrl-C) or at Close, and a key it
// had not yet returned stays for the next Reader. One key per Read also
// keeps readline's buffered reader from reading ahead of its prompt.
type Input struct {
	mu      sync.Mutex
	pending [][]byte // keys taken from the stream but not yet read
	keys    chan []byte
	done    chan struct{} // closed when the stream ends
	err     error         // why it ended
	once    sync.Once
	src     io.Reader
}

// NewInput reads r. Reading starts with the first Read of a Reader, so an
// Input that is never used never touches r.
func NewInput(r io.Reader) *Input {
	return &Input{src: r, keys: make(chan []byte), done: make(chan struct{})}
}

func (in *Input) start() {
	in.once.Do(func() { go in.loop() })
}

func (in *Input) loop() {
	buf := make([]byte, 256)
	for {
		n, err := in.src.Read(buf)
		for _, k := range splitKeys(buf[:n]) {
			in.keys <- k
		}
		if err != nil {
			in.mu.Lock()
			in.err = err
			in.mu.Unlock()
			close(in.done)
			return
		}
	}
}

// splitKeys cuts what one read returned into keys: ESC [ ... final byte
// (and ESC O x) as one key, ESC with one more byte (Alt-x) as one, any other
// UTF-8 rune as one.
func splitKeys(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := keyLen(b)
		k := make([]byte, n)
		copy(k, b[:n])
		out = append(out, k)
		b = b[n:]
	}
	return out
}

func keyLen(b []byte) int {
	if b[0] != 0x1b || len(b) == 1 {
		_, n := utf8.DecodeRune(b)
		return max(n, 1)
	}
	switch b[1] {
	case '[':
		// CSI: parameters and intermediates, then a final byte @..~.
		for i := 2; i < len(b); i++ {
			if b[i] >= 0x40 && b[i] <= 0x7e {
				return i + 1
			}
		}
		return len(b)
	case 'O':
		return min(3, len(b))
	default:
		return 2
	}
}

// Reader is one prompt's view of the input: Read returns one key, and
// io.EOF once ctx is done, once the Reader is closed, or once the stream has
// ended. Close it when its prompt is over; it never closes the stream.
func (in *Input) Reader(ctx context.Context) io.ReadCloser {
	return &keyReader{in: in, ctx: ctx, closed: make(chan struct{})}
}

type keyReader struct {
	in     *Input
	ctx    context.Context
	closed chan struct{}
	once   sync.Once
	rest   []byte // what did not fit into the caller's buffer
}

func (r *keyReader) Read(p []byte) (int, error) {
	if len(r.rest) > 0 {
		n := copy(p, r.rest)
		r.rest = r.rest[n:]
		return n, nil
	}
	if err := r.stopped(); err != nil {
		return 0, err
	}
	in := r.in
	in.mu.Lock()
	if len(in.pending) > 0 {
		k := in.pending[0]
		in.pending = in.pending[1:]
		in.mu.Unlock()
		return r.give(p, k), nil
	}
	in.mu.Unlock()
	in.start()
	select {
	case k := <-in.keys:
		if err := r.stopped(); err != nil {
			// Stopped while the key arrived: it belongs to the next prompt.
			in.mu.Lock()
			in.pending = append([][]byte{k}, in.pending...)
			in.mu.Unlock()
			return 0, err
		}
		return r.give(p, k), nil
	case <-in.done:
		// Keys sent before the end were taken above; nothing more comes.
		select {
		case k := <-in.keys:
			return r.give(p, k), nil
		default:
		}
		in.mu.Lock()
		err := in.err
		in.mu.Unlock()
		if err == nil || errors.Is(err, io.EOF) {
			err = io.EOF
		}
		return 0, err
	case <-r.ctx.Done():
		return 0, io.EOF
	case <-r.closed:
		return 0, io.EOF
	}
}

func (r *keyReader) give(p []byte, k []byte) int {
	n := copy(p, k)
	r.rest = k[n:]
	return n
}

func (r *keyReader) stopped() error {
	select {
	case <-r.closed:
		return io.EOF
	case <-r.ctx.Done():
		return io.EOF
	default:
		return nil
	}
}

func (r *keyReader) Close() error {
	r.once.Do(func() { close(r.closed) })
	return nil
}
