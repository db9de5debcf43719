package wire

// Envelope holds the fields every push carries, in their lenient wire
// types. "action" is found by FindAction before decoding and is
// deliberately not a field here. Wire structs embed it; Unmarshal drops its
// name from error paths.
type Envelope struct {
	Version    Int    `json:"version"`
	CreateTime Time   `json:"createTime"`
	MsgID      String `json:"msgID"`
	MsgMode    Int    `json:"msgMode"`
	ConfID     String `json:"confID"`
}

// Head returns e. Every wire struct embeds an Envelope and so gets Head
// promoted, which lets generic code reach the envelope of any of them.
func (e *Envelope) Head() *Envelope { return e }

var envelopeTags = [...]string{"version", "createTime", "msgID", "msgMode", "confID", "data"}

// envelopeField decodes an envelope key; known reports whether k was one.
func (p *Parser) envelopeField(k []byte, e *Envelope) (known, ok bool) {
	switch string(k) {
	case "version":
		return true, p.lenient(&e.Version)
	case "createTime":
		return true, p.lenient(&e.CreateTime.ms)
	case "msgMode":
		return true, p.lenient(&e.MsgMode)
	case "msgID":
		return true, p.lenientString(&e.MsgID)
	case "confID":
		return true, p.lenientString(&e.ConfID)
	}
	return false, true
}

// lenientString decodes a lenient string into *s with String's own rules.
func (p *Parser) lenientString(s *String) bool {
	raw, ok := p.scalar()
	return ok && s.UnmarshalJSON(raw) == nil
}
