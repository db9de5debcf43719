package token

// Waiters reports how many callers wait on p's in-flight renewal, so that
// the single-flight test can release the server only once they all joined.
func Waiters(p *Provider) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.flight == nil {
		return 0
	}
	return p.flight.waiters
}
