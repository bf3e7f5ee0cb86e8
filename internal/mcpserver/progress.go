package mcpserver

import (
	"context"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// progress sends a call's notifications/progress messages: each streamed
// piece of text as it arrives, and a beat every KeepAlive while nothing else
// is sent. Sends are serialised so that progress values only ever rise and
// pieces arrive in order.
type progress struct {
	ctx     context.Context
	session *mcp.ServerSession
	token   any
	log     func(error)

	mu    sync.Mutex
	count float64
	last  time.Time

	done chan struct{}
	wg   sync.WaitGroup
}

func (s *server) newProgress(ctx context.Context, session *mcp.ServerSession, token any) *progress {
	p := &progress{
		ctx: ctx, session: session, token: token, done: make(chan struct{}), last: time.Now(),
		log: func(err error) { s.log.Debug("progress notification not sent", "error", err) },
	}
	p.wg.Go(func() {
		t := time.NewTicker(s.opts.KeepAlive)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				p.beat(s.opts.KeepAlive)
			}
		}
	})
	return p
}

// delta sends one piece of streamed text.
func (p *progress) delta(text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.send(text)
}

// beat sends an empty progress message if nothing was sent for a while.
func (p *progress) beat(every time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) >= every/2 {
		p.send("")
	}
}

func (p *progress) send(text string) {
	p.count++
	p.last = time.Now()
	err := p.session.NotifyProgress(p.ctx, &mcp.ProgressNotificationParams{ProgressToken: p.token, Progress: p.count, Message: text})
	if err != nil {
		p.log(err)
	}
}

// stop ends the keep-alive beats; no notification is sent after it returns,
// so none can follow the result.
func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
	p.mu.Lock() // wait for a send under way
	//lint:ignore SA2001 the empty section waits for a send under way
	p.mu.Unlock()
}
