package wire

import "strings"

// strs hands out the strings a Parser decodes, copied out of the frame
// into shared chunks: a frame's strings cost one allocation per chunk
// rather than one each. Strings never alias the frame.
//
// A string keeps its whole chunk alive, so chunks are small: the first is
// half the frame (keys, quotes and numbers take the other half of a
// delta), the next ones the frame's size up to chunkSize; a string longer
// than a quarter chunk gets an allocation of its own.
type strs struct {
	buf   strings.Builder // written only by appending, so handed-out strings never change
	next  int             // size of the next chunk
	limit int             // size of the chunks after it
}

const chunkSize = 4 << 10

func newStrs(frameLen int) strs {
	limit := min(frameLen, chunkSize)
	return strs{next: max(limit/2, 1), limit: limit}
}

// of returns b as a string.
func (s *strs) of(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s.buf.Cap()-s.buf.Len() < len(b) {
		if len(b) > chunkSize/4 || len(b) > s.limit/2 {
			return string(b)
		}
		s.buf = strings.Builder{} // the strings of the old chunk keep it alive
		s.buf.Grow(s.next)
		s.next = s.limit
	}
	n := s.buf.Len()
	s.buf.Write(b)
	return s.buf.String()[n:]
}
