package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/config"
)

// runHelp prints the usage, or with a tool's name, what the tool does and
// its arguments, read from the tool's own schema.
func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		config.Usage(stdout)
		fmt.Fprint(stdout, usageCommands)
		return nil
	}
	// An in-process gateway on the simulator: its tools are the real ones,
	// and nothing reaches AWS or reads its settings.
	cfg := config.Fallback(nil, nil, "")
	cfg.Simulate, cfg.ModelsFile = true, ""
	bg, stop := context.WithCancel(ctx)
	defer stop()
	a, wait, err := build(bg, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("help: %w", err)
	}
	defer wait()
	defer stop()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := a.mcp.Connect(bg, st, nil)
	if err != nil {
		return fmt.Errorf("help: %w", err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "llm-gateway-help", Version: version}, nil).Connect(bg, ct, nil)
	if err != nil {
		return fmt.Errorf("help: %w", err)
	}
	defer cs.Close()
	list, err := cs.ListTools(bg, nil)
	if err != nil {
		return fmt.Errorf("help: %w", err)
	}
	var names []string
	for _, t := range list.Tools {
		names = append(names, t.Name)
		if t.Name == args[0] {
			printToolHelp(stdout, t)
			return nil
		}
	}
	fmt.Fprintf(stderr, "help: no tool %q; the tools are %s\n", args[0], strings.Join(names, ", "))
	return exitError(2)
}

// printToolHelp writes a tool's description and one line per argument.
func printToolHelp(w io.Writer, t *mcp.Tool) {
	fmt.Fprintf(w, "%s — %s\n\n%s\n\nArguments (llm-gateway call %s --arg NAME=VALUE, or --json '{…}'):\n", t.Name, t.Title, t.Description, t.Name)
	raw, _ := json.Marshal(t.InputSchema)
	var s struct {
		Properties map[string]struct {
			Type        string `json:"type"`
			Description string `json:"description"`
			Enum        []any  `json:"enum"`
			Default     any    `json:"default"`
			Items       *struct {
				Enum []any `json:"enum"`
			} `json:"items"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	_ = json.Unmarshal(raw, &s)
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, n := range names {
		p := s.Properties[n]
		typ := p.Type
		if typ == "" {
			typ = "string or list"
		}
		extra := ""
		if slices.Contains(s.Required, n) {
			extra += ", required"
		}
		if len(p.Enum) > 0 {
			extra += fmt.Sprintf(", one of %v", p.Enum)
		}
		if p.Items != nil && len(p.Items.Enum) > 0 {
			extra += fmt.Sprintf(", each one of %v", p.Items.Enum)
		}
		if p.Default != nil {
			extra += fmt.Sprintf(", default %v", p.Default)
		}
		fmt.Fprintf(w, "  %s (%s%s)\n      %s\n", n, typ, extra, p.Description)
	}
}
