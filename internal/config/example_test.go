package config_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/llm-gateway/llm-gateway/internal/config"
)

func ExampleLoad() {
	env := map[string]string{"CACHE_TTL": "90s", "LOG_LEVEL": "debug"}
	getenv := func(k string) string { return env[k] }

	// testdata holds no .env file, so only the flag, env and defaults count.
	cfg, err := config.Load([]string{"--transport", "http"}, getenv, "testdata")
	if errors.Is(err, config.ErrHelp) {
		config.Usage(os.Stdout)
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Transport, cfg.Addr, cfg.CacheTTL, cfg.LogLevel, cfg.Region)

	_, err = config.Load(nil, func(k string) string { return map[string]string{"CACHE_TTL": "abc", "MCP_TRANSPORT": "sse"}[k] }, "testdata")
	fmt.Println(err)
	// Output:
	// http 127.0.0.1:8080 1m30s DEBUG us-east-1
	// CACHE_TTL=abc: want a whole number of seconds, e.g. 3600, or a duration such as 90s or 1h30m
	// MCP_TRANSPORT=sse: want stdio or http
}
