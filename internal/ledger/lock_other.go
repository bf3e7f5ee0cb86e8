//go:build !unix

package ledger

import (
	"errors"
	"os"
)

// journalsSupported is whether this system can keep ledger journals: without a
// lock that ends with its process, a live journal cannot be told from a
// dead one's, so the Ledger writes to the store before answering instead.
const journalsSupported = false

// lockFile is unsupported here: without a lock that ends with its process
// a journal cannot be told from a dead one's, so the Ledger writes to the
// store before answering instead.
func lockFile(*os.File, bool) error {
	return errors.New("ledger journals need flock, which this system lacks")
}
