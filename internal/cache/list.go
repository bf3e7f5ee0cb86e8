package cache

// The entries of Memory sit on two intrusive doubly linked lists at once:
// one in order of use (for LRU eviction) and one in order of Set (which is
// the order of expiry, since every entry lives the same TTL). Keeping the
// links inside the entry costs 32 bytes per entry and no allocation, where
// container/list would add an Element and a boxed interface per list.

// links is one list's pair of neighbours.
type links struct{ prev, next *entry }

// Which of an entry's link pairs a list threads through.
const (
	byUse = iota // front: most recently used
	bySet        // front: least recently set, so first to expire
)

// list is a circular list threaded through entry.link[which], with root as
// its sentinel. It must be initialised with init and never copied.
type list struct {
	root  entry
	which int
}

func (l *list) init(which int) {
	l.which = which
	l.root.link[which] = links{prev: &l.root, next: &l.root}
}

// front returns the first entry, or nil if the list is empty.
func (l *list) front() *entry {
	if e := l.root.link[l.which].next; e != &l.root {
		return e
	}
	return nil
}

// back returns the last entry, or nil if the list is empty.
func (l *list) back() *entry {
	if e := l.root.link[l.which].prev; e != &l.root {
		return e
	}
	return nil
}

func (l *list) insertAfter(e, at *entry) {
	w := l.which
	next := at.link[w].next
	e.link[w] = links{prev: at, next: next}
	at.link[w].next = e
	next.link[w].prev = e
}

func (l *list) pushFront(e *entry) { l.insertAfter(e, &l.root) }

func (l *list) pushBack(e *entry) { l.insertAfter(e, l.root.link[l.which].prev) }

func (l *list) remove(e *entry) {
	w := l.which
	e.link[w].prev.link[w].next = e.link[w].next
	e.link[w].next.link[w].prev = e.link[w].prev
	e.link[w] = links{} // drop references so a stray entry keeps nothing alive
}

func (l *list) moveToFront(e *entry) {
	if l.root.link[l.which].next == e {
		return
	}
	l.remove(e)
	l.pushFront(e)
}
