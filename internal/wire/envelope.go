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
// A plain string or a number, the usual forms, takes its bytes as they are.
func (p *Parser) lenientString(s *String) bool {
	if p.i < len(p.b) && p.b[p.i] == '"' {
		lit, plain, ok := p.strLit()
		if ok && plain {
			*s = String(p.strs.of(lit[1 : len(lit)-1]))
			return true
		}
		return ok && s.UnmarshalJSON(lit) == nil
	}
	raw, ok := p.scalar()
	if ok && len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		*s = String(p.strs.of(raw))
		return true
	}
	return ok && s.UnmarshalJSON(raw) == nil
}
