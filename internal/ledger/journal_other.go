//go:build !linux

package ledger

// journalMap is empty where journals are not mapped: every frame is
// written with one write(2).
type journalMap struct{}

// write appends frame at the journal's end with one write(2). n is what a
// failed write wrote.
func (j *journalFile) write(frame []byte) (n int, err error) { return j.writeAt(frame) }

func (j *journalFile) unmap() {}

func (j *journalFile) ahead() []byte { return nil }

func prefault([]byte) {}
