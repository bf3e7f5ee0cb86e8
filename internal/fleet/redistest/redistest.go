// Package redistest gives tests the Redis they run against: the shared one
// with a key prefix of their own, or a redis-server of their own that they
// can stop and start again.
package redistest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/llm-gateway/llm-gateway/internal/testport"
)

// DefaultURL is the Redis the tests use when REDIS_TEST_URL is unset: the
// one this project's machines and CI run.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL returns the shared test Redis's URL and a key prefix of the test's
// own, whose keys are deleted when the test ends. When Redis does not
// answer the test fails in CI (CI=true) and is skipped elsewhere.
func URL(t testing.TB) (url, prefix string) {
	t.Helper()
	url = os.Getenv("REDIS_TEST_URL")
	if url == "" {
		url = DefaultURL
	}
	ro, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(ro)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Redis at %s does not answer (%v); CI must start it (.ci/services.sh)", url, err)
		}
		t.Skipf("Redis at %s does not answer (%v); start it to run this test", url, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix = "test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := c.Keys(ctx, prefix+"*").Result(); len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return url, prefix
}

// Server is a redis-server of the test's own, on a loopback port below
// Linux's ephemeral range (testport.Free says why).
type Server struct {
	URL  string
	t    testing.TB
	bin  string
	args []string // more of redis-server's settings
	cmd  *exec.Cmd
}

// NewServer finds redis-server and a free port; Start runs it. The server
// is stopped when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed")
		}
		t.Skip("redis-server is not installed")
	}
	s := &Server{t: t, bin: bin, URL: "redis://127.0.0.1:" + testport.Free(t) + "/0"}
	t.Cleanup(s.Stop)
	return s
}

// Start runs the server and returns once it says it is ready.
func (s *Server) Start() {
	s.t.Helper()
	port := s.URL[strings.LastIndex(s.URL, ":")+1 : strings.LastIndex(s.URL, "/")]
	s.cmd = exec.Command(s.bin, append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.t.TempDir()}, s.args...)...) //nolint:gosec // the test helper starts redis-server found on PATH
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "Ready to accept connections") {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return
		}
	}
	s.t.Fatal("redis-server exited before it was ready")
}

// Stop kills the server, if it runs.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// Cluster starts a Redis Cluster of the test's own, three primaries on
// free loopback ports joined by redis-cli --cluster create, and returns a
// URL naming them all (redis://host:port?addr=host:port&addr=host:port).
// The nodes are stopped when the test ends.
func Cluster(t testing.TB) string {
	t.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-cli is not installed")
		}
		t.Skip("redis-cli is not installed")
	}
	var addrs []string
	seen := map[string]bool{}
	for len(addrs) < 3 {
		s := NewServer(t)
		bus := testport.Free(t)
		addr := strings.TrimSuffix(strings.TrimPrefix(s.URL, "redis://"), "/0")
		if seen[addr] || seen["127.0.0.1:"+bus] {
			continue
		}
		seen[addr], seen["127.0.0.1:"+bus] = true, true
		s.args = []string{"--cluster-enabled", "yes", "--cluster-port", bus, "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"}
		s.Start()
		addrs = append(addrs, addr)
	}
	out, err := exec.Command(cli, append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// Every node knows every slot's owner once the gossip settles: watched,
	// bounded (redis-cli has already waited for the nodes to join).
	for _, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true})
		for i := 0; ; i++ {
			info, err := c.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if i == 200 {
				t.Fatalf("cluster node %s not ok after 10s: %v\n%s", addr, err, info)
			}
			time.Sleep(50 * time.Millisecond) // the cluster's gossip; nothing to wait on
		}
		c.Close()
	}
	return "redis://" + addrs[0] + "?addr=" + addrs[1] + "&addr=" + addrs[2]
}
