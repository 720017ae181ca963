package testenv

import (
	"bytes"
	"sync"
)

// syncWriter lets a child's stdout and stderr share one buffer safely.
type syncWriter struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
