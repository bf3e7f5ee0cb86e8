package pgtest

import (
	"bytes"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/testport"
)

// Server is a PostgreSQL server of the test's own, in a data directory
// made by initdb, that the test can stop and start again: the shared
// server cannot be stopped safely while other tests use it.
//
// It listens on a loopback port below Linux's ephemeral range
// (testport.Free says why). PostgreSQL
// refuses to run as root: run by root, the server runs as the postgres
// user (the packaged server's own), or as nobody.
type Server struct {
	// URL is the server's database postgres, as the superuser postgres
	// with trust authentication.
	URL string

	t    testing.TB
	bin  string // directory of initdb, pg_ctl and postgres
	dir  string // data directory
	port string
	cred *syscall.Credential // nil: run as this process's user
	up   bool
}

// NewServer makes a data directory with initdb and finds a free port;
// Start runs the server. The server is stopped and its directory removed
// when the test ends. Without PostgreSQL's server programs the test fails
// in CI (CI=true) and is skipped elsewhere.
func NewServer(t testing.TB) *Server {
	t.Helper()
	bin := serverBin()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PostgreSQL's server programs (initdb, pg_ctl) are not installed: in PATH or /usr/lib/postgresql/*/bin")
		}
		t.Skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
	}
	s := &Server{t: t, bin: bin}
	var uid, gid int = -1, -1
	if os.Geteuid() == 0 {
		s.cred, uid, gid = serverUser(t)
	}
	// Not t.TempDir: its parents are private to root, and the server may
	// run as another user.
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if uid >= 0 {
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	s.dir = filepath.Join(dir, "data")
	s.run("initdb", "-D", s.dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	s.port = testport.Free(t)
	s.URL = "postgres://postgres@127.0.0.1:" + s.port + "/postgres?sslmode=disable"
	t.Cleanup(func() {
		if s.up {
			s.Stop()
		}
	})
	return s
}

// Start runs the server and returns once it accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	// The socket goes in the data directory: the packaged one
	// (/var/run/postgresql) may not be writable by this user.
	opts := "-p " + s.port + " -k " + s.dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
	s.run("pg_ctl", "-D", s.dir, "-l", filepath.Join(s.dir, "server.log"), "-o", opts, "-w", "-t", "60", "start")
	s.up = true
}

// Stop stops the server at once, as a crash would (pg_ctl stop -m
// immediate): connections are cut and what was committed stays.
func (s *Server) Stop() {
	s.t.Helper()
	s.run("pg_ctl", "-D", s.dir, "-m", "immediate", "-w", "-t", "60", "stop")
	s.up = false
}

// run runs one of the server's programs, as the server's user.
func (s *Server) run(name string, args ...string) {
	s.t.Helper()
	cmd := exec.Command(filepath.Join(s.bin, name), args...) //nolint:gosec // the test helper runs PostgreSQL's own tools from its bin directory
	cmd.Dir = filepath.Dir(s.dir)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
		s.t.Fatalf("%s %v: %v\n%s\nserver log:\n%s", name, args, err, out.Bytes(), log)
	}
}

// serverBin is the directory holding initdb and pg_ctl: PATH's, or the
// newest of Debian's /usr/lib/postgresql/VERSION/bin.
func serverBin() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d
		}
	}
	return ""
}

// serverUser is the user a root test runs the server as.
func serverUser(t testing.TB) (*syscall.Credential, int, int) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 == nil && err2 == nil {
			return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid, gid //nolint:gosec // uid and gid come from the system's user database, 32-bit
		}
	}
	t.Fatal("running as root, and no postgres or nobody user to run PostgreSQL as")
	return nil, 0, 0
}
