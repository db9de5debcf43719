package meeting

import (
	"slices"

	"github.com/confwatch/confwatch/events"
)

// Live captions: a bounded log of final sentences per participant. Only
// final sentences are kept (isFinal, protocol §5.10); the partial ones
// that precede them are superseded by the final text.

// captions folds one caption push into the view. A sentence that repeats
// the participant's last one (same ID, or same span and text: the server
// sends the last caption again as the snapshot after a Subscribe) replaces
// it instead of being logged twice. The previous view's slices are never
// changed in place: snapshots share them.
func (a *applier) captions(n *events.RealTimeSubtitleNotify) {
	if !n.IsFinal || len(n.Msgs) == 0 {
		return
	}
	c := a.caption(n)
	pid := n.ParticipantID
	prev, _ := a.nv.captions.get(pid)
	var list []Caption
	if last := len(prev) - 1; last >= 0 && sameSentence(prev[last], c) {
		if c.Name == "" {
			c.Name = prev[last].Name // the speaker may have left since
		}
		list = slices.Concat(prev[:last], []Caption{c})
	} else {
		drop := max(0, len(prev)+1-a.captionCap)
		list = slices.Concat(prev[drop:], []Caption{c})
	}
	tx := a.nv.captions.edit(a.gen)
	tx.set(pid, list)
	if tx.n > MaxCaptionSpeakers {
		tx.del(stalestSpeaker(&tx, pid))
	}
	a.nv.captions = tx.done()
	a.nv.captionOut = &memo[map[string][]Caption]{}
}

// caption makes the log entry of a final caption push.
func (a *applier) caption(n *events.RealTimeSubtitleNotify) Caption {
	c := Caption{
		ID:    n.Msgs[0].ID,
		Texts: make([]CaptionText, len(n.Msgs)),
		At:    n.Timestamp,
		Begin: n.BeginTime,
		End:   n.EndTime,
		Text:  n.Msgs[0].Text,
	}
	for i, m := range n.Msgs {
		c.Texts[i] = CaptionText{Lang: m.Lang, Text: m.Text}
	}
	if i := slices.IndexFunc(n.Msgs, func(m events.SubtitleMsg) bool { return m.Lang == "Original" }); i >= 0 {
		c.Text = n.Msgs[i].Text
	}
	if c.At.IsZero() {
		c.At = a.d.at
	}
	if p, ok := a.nv.roster.get(n.ParticipantID); ok {
		c.Name = p.Name
	}
	return c
}

func sameSentence(a, b Caption) bool {
	if a.ID != "" || b.ID != "" {
		return a.ID == b.ID
	}
	return a.Begin == b.Begin && a.End == b.End && a.Text == b.Text
}

// stalestSpeaker returns the participant, other than keep, whose last
// sentence is the oldest (ties by ID), to forget when the log holds more
// than MaxCaptionSpeakers participants.
func stalestSpeaker(tx *pmapTx[[]Caption], keep string) string {
	var victim string
	var oldest Caption
	found := false
	for pid, list := range (pmap[[]Caption]{b: tx.arr(), n: tx.n}).all() {
		if pid == keep || len(list) == 0 {
			continue
		}
		last := list[len(list)-1]
		if !found || last.At.Before(oldest.At) || last.At.Equal(oldest.At) && pid < victim {
			victim, oldest, found = pid, last, true
		}
	}
	return victim
}

func (v *view) captionMap() map[string][]Caption {
	out := make(map[string][]Caption, v.captions.len())
	for pid, list := range v.captions.all() {
		out[pid] = list
	}
	return out
}
