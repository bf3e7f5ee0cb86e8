//go:build !unix

package sqlite

import (
	"context"
	"database/sql"
	"errors"
)

// index is the shared cache's key index, which needs mmap: without it,
// every miss of the memory tier asks the database.
type index struct{}

func (d *DB) openIndex(context.Context) (*index, error) {
	return nil, errors.New("no index of the shared cache's keys on this system")
}

func (x *index) mayHave(string) bool                         { return true }
func (x *index) add([]string)                                {}
func (x *index) maybeRebuild(context.Context, *sql.Tx) error { return nil }
func (x *index) close()                                      {}
