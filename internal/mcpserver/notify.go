//lint:file-ignore SA1019 MCP logging is deprecated from protocol 2026-07-28 but still what clients of earlier versions read; it stays until they are gone.

package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// logger names the gateway in MCP log notifications.
const logger = "llm-gateway"

// nearEndOfLife is how long before a model's end of life its callers are
// warned.
const nearEndOfLife = 90 * 24 * time.Hour

// notifier sends a call's notices to its client as MCP log notifications
// (notifications/message), which the SDK sends only at or above the level
// the client chose with logging/setLevel.
func (s *server) notifier(ctx context.Context, session *mcp.ServerSession) func(gateway.Notice) {
	if session == nil {
		return func(gateway.Notice) {}
	}
	logf := func(p *mcp.LoggingMessageParams) error { return session.Log(ctx, p) }
	if l := laneLog(ctx); l != nil {
		logf = l // a lane call whose transport writes them on its stream
	}
	return func(n gateway.Notice) {
		level := mcp.LoggingLevel(n.Level)
		if level == "" {
			level = "info"
		}
		err := logf(&mcp.LoggingMessageParams{Level: level, Logger: logger,
			Data: map[string]any{"kind": n.Kind, "message": n.Message}})
		if err != nil {
			s.log.Debug("log notification not sent", "error", err)
		}
	}
}

// noticesOf are what an answer says that its caller should know: that a
// fallback answered, that the model is legacy or near its end of life.
func (s *server) noticesOf(resp *gateway.Response, now time.Time) []gateway.Notice {
	var out []gateway.Notice
	if len(resp.Attempts) > 0 {
		var tried []string
		for _, a := range resp.Attempts {
			tried = append(tried, fmt.Sprintf("%s (%s)", a.Model, a.Kind))
		}
		out = append(out, gateway.Notice{Level: "warning", Kind: "fallback",
			Message: fmt.Sprintf("answered by the fallback %s after %s failed", resp.Model, strings.Join(tried, ", "))})
	}
	if m, ok := s.lifecycleOf(resp.Model); ok {
		move := ""
		if m.Replacement != "" {
			move = "; move to " + m.Replacement
		}
		eol, _ := time.Parse(time.DateOnly, m.EndOfLife)
		switch {
		case m.Status == "legacy" && m.EndOfLife != "":
			out = append(out, gateway.Notice{Level: "warning", Kind: "lifecycle",
				Message: fmt.Sprintf("%s is a legacy model; Bedrock retires it on %s%s", m.Name, m.EndOfLife, move)})
		case m.Status == "legacy":
			out = append(out, gateway.Notice{Level: "warning", Kind: "lifecycle",
				Message: fmt.Sprintf("%s is a legacy model and will be retired%s", m.Name, move)})
		case !eol.IsZero() && eol.Sub(now) < nearEndOfLife:
			out = append(out, gateway.Notice{Level: "warning", Kind: "lifecycle",
				Message: fmt.Sprintf("%s reaches its end of life on %s%s", m.Name, m.EndOfLife, move)})
		}
	}
	return out
}

// lifecycle is what noticesOf needs of a catalog model.
type lifecycle struct {
	Name, Status, EndOfLife, Replacement string
}

// lifecycles indexes the models that may need a notice by name, once:
// copying the catalog on every answer cost a cache hit more than the rest
// of the gateway's work on it.
func lifecycles(models []ModelInfo) map[string]lifecycle {
	out := make(map[string]lifecycle)
	for i := range models {
		m := &models[i]
		if m.Status == "legacy" || m.EndOfLife != "" {
			out[m.Name] = lifecycle{Name: m.Name, Status: m.Status, EndOfLife: m.EndOfLife, Replacement: m.Replacement}
		}
	}
	return out
}

// log is ss.Log for a call whose transport takes its notifications
// (TakeOptions.Notify): the same level check, the same bytes.
func (c *LaneCall) log(params *mcp.LoggingMessageParams) error {
	ls := c.ls
	ls.mu.Lock()
	level := ls.level
	ls.mu.Unlock()
	if level == "" || slogLevel(params.Level) < slogLevel(level) {
		return nil
	}
	p, err := marshalNoEscape(params)
	if err != nil {
		return fmt.Errorf("mcpserver: encode a log notification: %w", err)
	}
	msg, err := jsonrpc.EncodeMessage(&jsonrpc.Request{Method: "notifications/message", Params: p})
	if err != nil {
		return fmt.Errorf("mcpserver: encode a log notification: %w", err)
	}
	c.notifyMu.Lock()
	defer c.notifyMu.Unlock()
	if c.notify == nil {
		return errors.New("mcpserver: the call has been answered: no stream for its notification")
	}
	c.notify(msg)
	return nil
}

// laneLog returns the log function of the lane call ctx belongs to, if
// its transport takes its notifications.
func laneLog(ctx context.Context) func(*mcp.LoggingMessageParams) error {
	if c, ok := ctx.Value(laneCallKey{}).(*LaneCall); ok {
		return c.log
	}
	return nil
}

// slogLevel orders MCP log levels as the SDK does: by its slog levels,
// an unknown one as debug.
func slogLevel(l mcp.LoggingLevel) slog.Level {
	switch l {
	case "info":
		return mcp.LevelInfo
	case "notice":
		return mcp.LevelNotice
	case "warning":
		return mcp.LevelWarning
	case "error":
		return mcp.LevelError
	case "critical":
		return mcp.LevelCritical
	case "alert":
		return mcp.LevelAlert
	case "emergency":
		return mcp.LevelEmergency
	}
	return mcp.LevelDebug
}

// marshalNoEscape is json.Marshal without HTML escaping, as the SDK
// encodes a notification's params.
func marshalNoEscape(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
